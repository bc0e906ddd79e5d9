using System.Globalization;
using System.Numerics;
using Multiprocess.Pickle.Internal;

namespace Multiprocess.Pickle;

/// <summary>
/// A Python <c>decimal.Decimal</c>, kept losslessly: sign, coefficient digits, exponent, and the specials
/// (<c>Infinity</c>, <c>NaN</c>, <c>sNaN</c>, with payloads). Pickled as <c>decimal.Decimal(str)</c> with the exact
/// text it was read with. Equality and hash are numeric, as in Python (<c>Decimal('1.10') == 1.1m == 1</c> where exact).
/// </summary>
public sealed class PyDecimal : IEquatable<PyDecimal>
{
    private readonly string _text;

    private PyDecimal(string text, bool negative, BigInteger coefficient, int exponent, PyDecimalKind kind)
    {
        _text = text;
        IsNegative = negative;
        Coefficient = coefficient;
        Exponent = exponent;
        Kind = kind;
    }

    /// <summary>Gets a value indicating whether the sign is negative (also for -0 and -Infinity).</summary>
    public bool IsNegative { get; }

    /// <summary>Gets the coefficient (digits as an integer; the NaN payload for NaNs).</summary>
    public BigInteger Coefficient { get; }

    /// <summary>Gets the exponent (value = ±coefficient × 10^exponent) of a finite number.</summary>
    public int Exponent { get; }

    /// <summary>Gets whether it is finite, infinite or a NaN.</summary>
    public PyDecimalKind Kind { get; }

    /// <summary>Parses Python's decimal string syntax (what <c>str(Decimal)</c> gives, and what Decimal() accepts).</summary>
    /// <param name="text">The text, e.g. <c>1.10</c>, <c>-1E+3</c>, <c>Infinity</c>, <c>NaN</c>.</param>
    /// <returns>The value, which prints back as <paramref name="text"/>'s canonical form.</returns>
    /// <exception cref="FormatException">The text is not a valid decimal literal.</exception>
    public static PyDecimal Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var value))
        {
            throw new FormatException($"Invalid decimal literal {PyRepr.Repr(text)}");
        }

        return value;
    }

    /// <summary>Parses Python's decimal string syntax.</summary>
    /// <param name="text">The text.</param>
    /// <param name="value">The value.</param>
    /// <returns>Whether the text was valid.</returns>
    public static bool TryParse(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PyDecimal? value)
    {
        value = null;
        var s = text.Trim().Replace("_", "", StringComparison.Ordinal);
        if (s.Length == 0)
        {
            return false;
        }

        var negative = false;
        var i = 0;
        if (s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            i = 1;
        }

        var rest = s[i..];
        if (rest.Equals("Infinity", StringComparison.OrdinalIgnoreCase) || rest.Equals("Inf", StringComparison.OrdinalIgnoreCase))
        {
            value = new PyDecimal(negative ? "-Infinity" : "Infinity", negative, 0, 0, PyDecimalKind.Infinity);
            return true;
        }

        var kind = PyDecimalKind.Finite;
        if (rest.StartsWith("nan", StringComparison.OrdinalIgnoreCase))
        {
            kind = PyDecimalKind.NaN;
            rest = rest[3..];
        }
        else if (rest.StartsWith("snan", StringComparison.OrdinalIgnoreCase))
        {
            kind = PyDecimalKind.SignalingNaN;
            rest = rest[4..];
        }

        if (kind != PyDecimalKind.Finite)
        {
            if (rest.Any(c => c is < '0' or > '9'))
            {
                return false;
            }

            var payload = rest.Length == 0 ? BigInteger.Zero : BigInteger.Parse(rest, CultureInfo.InvariantCulture);
            var payloadText = payload.IsZero ? "" : payload.ToString(CultureInfo.InvariantCulture);
            var name = kind == PyDecimalKind.NaN ? "NaN" : "sNaN";
            value = new PyDecimal((negative ? "-" : "") + name + payloadText, negative, payload, 0, kind);
            return true;
        }

        var digits = new System.Text.StringBuilder();
        var exponent = 0L;
        var seenDigit = false;
        var seenDot = false;
        for (; i < s.Length; i++)
        {
            var c = s[i];
            if (c is >= '0' and <= '9')
            {
                digits.Append(c);
                seenDigit = true;
                if (seenDot)
                {
                    exponent--;
                }
            }
            else if (c == '.' && !seenDot)
            {
                seenDot = true;
            }
            else if (c is 'e' or 'E' && seenDigit)
            {
                if (!long.TryParse(s.AsSpan(i + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var e))
                {
                    return false;
                }

                exponent += e;
                i = s.Length;
                break;
            }
            else
            {
                return false;
            }
        }

        if (!seenDigit || exponent is > int.MaxValue or < int.MinValue)
        {
            return false;
        }

        var coefficient = BigInteger.Parse(digits.ToString(), CultureInfo.InvariantCulture);
        value = new PyDecimal(Format(negative, coefficient, (int)exponent), negative, coefficient, (int)exponent, PyDecimalKind.Finite);
        return true;
    }

    /// <summary>Converts a .NET decimal exactly, keeping its scale (<c>1.10m</c> → <c>Decimal('1.10')</c>).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The Python decimal.</returns>
    public static PyDecimal FromDecimal(decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var coefficient = ((BigInteger)(uint)bits[2] << 64) | ((BigInteger)(uint)bits[1] << 32) | (uint)bits[0];
        var scale = (bits[3] >> 16) & 0xFF;
        var negative = bits[3] < 0;
        return new PyDecimal(Format(negative, coefficient, -scale), negative, coefficient, -scale, PyDecimalKind.Finite);
    }

    /// <summary>Converts to a .NET decimal, rounding to its 28–29 significant digits.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="OverflowException">The value is infinite, a NaN, or outside the decimal range.</exception>
    public decimal ToDecimal()
    {
        if (Kind != PyDecimalKind.Finite)
        {
            throw new OverflowException($"Decimal('{_text}') has no System.Decimal equivalent");
        }

        return decimal.Parse(_text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>Converts to the nearest double (<c>float(d)</c>).</summary>
    /// <returns>The value.</returns>
    public double ToDouble() => Kind switch
    {
        PyDecimalKind.Infinity => IsNegative ? double.NegativeInfinity : double.PositiveInfinity,
        PyDecimalKind.Finite => double.Parse(_text, NumberStyles.Float, CultureInfo.InvariantCulture),
        _ => double.NaN,
    };

    /// <summary>Returns Python's <c>str(d)</c>, e.g. <c>1.10</c>, <c>1E+3</c>, <c>-Infinity</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => _text;

    /// <summary>Compares numerically, as Python (a NaN equals nothing).</summary>
    /// <param name="other">The other decimal.</param>
    /// <returns>Whether equal.</returns>
    public bool Equals(PyDecimal? other) => other is not null && EqualsDecimal(other);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PyDecimal d && Equals(d);

    /// <summary>
    /// Returns a numeric hash equal to that of an equal int, float or complex (keyed per process, not CPython's
    /// value); a NaN hashes by identity, as in CPython 3.10 and later.
    /// </summary>
    /// <returns>The hash.</returns>
    public override int GetHashCode() => Kind is PyDecimalKind.Finite or PyDecimalKind.Infinity
        ? PyHash.FromDecimal(this)
        : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);

    internal bool EqualsDecimal(PyDecimal other)
    {
        if (Kind != PyDecimalKind.Finite || other.Kind != PyDecimalKind.Finite)
        {
            return Kind == PyDecimalKind.Infinity && other.Kind == PyDecimalKind.Infinity && IsNegative == other.IsNegative;
        }

        if (Coefficient.IsZero || other.Coefficient.IsZero)
        {
            return Coefficient.IsZero && other.Coefficient.IsZero;
        }

        if (IsNegative != other.IsNegative)
        {
            return false;
        }

        // Align exponents; a difference beyond the digit counts cannot be equal (avoids huge powers of ten).
        var (a, ea, b, eb) = Exponent >= other.Exponent ? (Coefficient, Exponent, other.Coefficient, other.Exponent) : (other.Coefficient, other.Exponent, Coefficient, Exponent);
        var shift = (long)ea - eb;
        if (shift > DigitCount(b) + 1)
        {
            return false;
        }

        return a * BigInteger.Pow(10, (int)shift) == b;
    }

    internal bool EqualsInteger(BigInteger value)
    {
        if (Kind != PyDecimalKind.Finite)
        {
            return false;
        }

        if (Coefficient.IsZero || value.IsZero)
        {
            return Coefficient.IsZero && value.IsZero;
        }

        if (IsNegative != (value.Sign < 0))
        {
            return false;
        }

        return EqualsDecimal(new PyDecimal("", value.Sign < 0, BigInteger.Abs(value), 0, PyDecimalKind.Finite));
    }

    internal bool EqualsDouble(double value)
    {
        if (double.IsNaN(value) || Kind is PyDecimalKind.NaN or PyDecimalKind.SignalingNaN)
        {
            return false;
        }

        if (double.IsInfinity(value))
        {
            return Kind == PyDecimalKind.Infinity && IsNegative == (value < 0);
        }

        if (Kind != PyDecimalKind.Finite)
        {
            return false;
        }

        // Exact: double = m × 2**e; compare ±coefficient × 10**exponent × 2**-e with m (both sides integers).
        var (m, e) = PyNumber.Decompose(value);
        if (m.IsZero || Coefficient.IsZero)
        {
            return m.IsZero && Coefficient.IsZero;
        }

        if (IsNegative != (m.Sign < 0) || Exponent is > 400 or < -1200)
        {
            return false;
        }

        BigInteger left = Coefficient, right = BigInteger.Abs(m);
        if (Exponent >= 0)
        {
            left *= BigInteger.Pow(10, Exponent);
        }
        else
        {
            right *= BigInteger.Pow(10, -Exponent);
        }

        if (e >= 0)
        {
            right <<= e;
        }
        else
        {
            left <<= -e;
        }

        return left == right;
    }

    private static long DigitCount(BigInteger value) => value.IsZero ? 1 : (long)Math.Floor(BigInteger.Log10(BigInteger.Abs(value))) + 1;

    /// <summary>Python's <c>Decimal.__str__</c> (to-scientific-string) for a finite value.</summary>
    private static string Format(bool negative, BigInteger coefficient, int exponent)
    {
        var digits = coefficient.ToString(CultureInfo.InvariantCulture);
        var leftDigits = (long)exponent + digits.Length;
        long dotPlace = exponent <= 0 && leftDigits > -6 ? leftDigits : 1;
        string intPart, fracPart;
        if (dotPlace <= 0)
        {
            intPart = "0";
            fracPart = "." + new string('0', (int)-dotPlace) + digits;
        }
        else if (dotPlace >= digits.Length)
        {
            intPart = digits + new string('0', (int)(dotPlace - digits.Length));
            fracPart = "";
        }
        else
        {
            intPart = digits[..(int)dotPlace];
            fracPart = "." + digits[(int)dotPlace..];
        }

        var exp = leftDigits == dotPlace ? "" : "E" + (leftDigits - dotPlace).ToString("+0;-0", CultureInfo.InvariantCulture);
        return (negative ? "-" : "") + intPart + fracPart + exp;
    }
}
