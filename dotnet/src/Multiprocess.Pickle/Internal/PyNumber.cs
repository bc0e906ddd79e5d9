using System.Numerics;

namespace Multiprocess.Pickle.Internal;

/// <summary>Exact comparison between Python's numeric types (int, float, complex, Decimal), as CPython does it.</summary>
internal static class PyNumber
{
    public static bool NumericEquals(object x, object? y)
    {
        if (y is null)
        {
            return false;
        }

        if (!IsModelNumber(y))
        {
            if (!PyObjectComparer.TryAsNumber(y, out var ny))
            {
                return false;
            }

            y = ny!;
        }

        switch (x)
        {
            case long lx:
                return y switch
                {
                    long ly => lx == ly,
                    bool by => lx == (by ? 1 : 0),
                    double dy => IntEqualsDouble(lx, dy),
                    BigInteger biy => biy == lx,
                    Complex cy => cy.Imaginary == 0 && IntEqualsDouble(lx, cy.Real),
                    PyDecimal py => py.EqualsInteger(lx),
                    _ => false,
                };
            case bool bx:
                return NumericEquals(bx ? 1L : 0L, y);
            case double dx:
                return y switch
                {
                    double dy => dx == dy,
                    long ly => IntEqualsDouble(ly, dx),
                    bool by => dx == (by ? 1 : 0),
                    BigInteger biy => BigEqualsDouble(biy, dx),
                    Complex cy => cy.Imaginary == 0 && cy.Real == dx,
                    PyDecimal py => py.EqualsDouble(dx),
                    _ => false,
                };
            case BigInteger bix:
                return y switch
                {
                    BigInteger biy => bix == biy,
                    long ly => bix == ly,
                    bool by => bix == (by ? 1 : 0),
                    double dy => BigEqualsDouble(bix, dy),
                    Complex cy => cy.Imaginary == 0 && BigEqualsDouble(bix, cy.Real),
                    PyDecimal py => py.EqualsInteger(bix),
                    _ => false,
                };
            case Complex cx:
                if (y is Complex cy2)
                {
                    return cx.Real == cy2.Real && cx.Imaginary == cy2.Imaginary;
                }

                return cx.Imaginary == 0 && NumericEquals(y, cx.Real);
            case PyDecimal px:
                return y switch
                {
                    PyDecimal py => px.EqualsDecimal(py),
                    long ly => px.EqualsInteger(ly),
                    bool by => px.EqualsInteger(by ? 1 : 0),
                    BigInteger biy => px.EqualsInteger(biy),
                    double dy => px.EqualsDouble(dy),
                    Complex cy => cy.Imaginary == 0 && px.EqualsDouble(cy.Real),
                    _ => false,
                };
            default:
                return false;
        }
    }

    private static bool IsModelNumber(object y) => y is long or double or bool or BigInteger or Complex or PyDecimal;

    public static bool IntEqualsDouble(long l, double d)
    {
        if (!double.IsFinite(d) || Math.Floor(d) != d)
        {
            return false;
        }

        // Doubles in [-2**63, 2**63) convert exactly; outside that range no long can match.
        return d >= -9.2233720368547758e18 && d < 9.2233720368547758e18 && (long)d == l;
    }

    public static bool BigEqualsDouble(BigInteger b, double d)
    {
        if (!double.IsFinite(d) || Math.Floor(d) != d)
        {
            return false;
        }

        return new BigInteger(d) == b;
    }

    /// <summary>Splits a finite double into mantissa × 2**exponent exactly.</summary>
    public static (BigInteger Mantissa, int Exponent) Decompose(double d)
    {
        var bits = BitConverter.DoubleToInt64Bits(d);
        var negative = bits < 0;
        var exponent = (int)((bits >> 52) & 0x7FF);
        var mantissa = bits & 0xF_FFFF_FFFF_FFFFL;
        if (exponent == 0)
        {
            exponent = 1;
        }
        else
        {
            mantissa |= 1L << 52;
        }

        return (negative ? -mantissa : mantissa, exponent - 1075);
    }
}
