using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Multiprocess.Pickle;

namespace Multiprocess.Celery.Protocol;

/// <summary>
/// The JSON side of the value model shared with the pickle codec: what kombu's <c>json</c> serializer writes and
/// reads (kombu/utils/json.py). Objects read as <see cref="Dictionary{TKey, TValue}"/> of string keys, arrays as
/// <see cref="List{T}"/>, integers as <see cref="long"/> (or <see cref="BigInteger"/> beyond 64 bits), reals as
/// <see cref="double"/>.
/// </summary>
public static class CeleryJson
{
    // A prefix no real string starts with: a NUL and a private-use character.
    private const string NonFiniteMarker = "\u0000\uE000";

    private static readonly byte[][] s_nonFinite = ["-Infinity"u8.ToArray(), "Infinity"u8.ToArray(), "NaN"u8.ToArray()];

    /// <summary>Serializes a value to UTF-8 JSON.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The JSON bytes.</returns>
    /// <exception cref="ArgumentException">A value has no JSON form (bytes, an unknown object).</exception>
    public static byte[] Serialize(object? value)
    {
        // Written into pooled arrays: a 1 MiB body then costs one array of its size, not the growing buffer's
        // 128 KiB…2 MiB large-object-heap arrays besides.
        using var buffer = new PooledBufferWriter();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = false }))
        {
            Write(writer, value);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Parses UTF-8 JSON into the value model.</summary>
    /// <param name="utf8">The JSON text.</param>
    /// <returns>The value.</returns>
    /// <exception cref="FormatException">The text is not JSON.</exception>
    public static object? Deserialize(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return Parse(utf8);
        }
        catch (JsonException e)
        {
            // Python's json writes NaN, Infinity and -Infinity bare; System.Text.Json reads none of them.
            if (QuoteNonFinite(utf8) is { } quoted)
            {
                try
                {
                    return Parse(quoted);
                }
                catch (JsonException)
                {
                    // Report the original error.
                }
            }

            throw new FormatException($"not JSON: {e.Message}", e);
        }
    }

    // Straight from the reader into the value model: JsonDocument.ParseValue copied the whole text first (a 1 MiB
    // result cost a 1 MiB array besides its string) and indexed it, for one pass over it.
    private static object? Parse(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read())
        {
            throw new JsonException("no JSON value (empty input)");
        }

        var value = ReadValue(ref reader);
        if (reader.Read())
        {
            // The reader throws on most trailing text itself; this catches the rest (a second value).
            throw new JsonException($"text after the JSON value at byte {reader.TokenStartIndex}");
        }

        return value;
    }

    // The value whose first token the reader is on (ToObject's mapping); leaves the reader on its last token.
    private static object? ReadValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.True:
                return true;
            case JsonTokenType.False:
                return false;
            case JsonTokenType.String:
                var text = reader.GetString();
                return text is not null && text.StartsWith(NonFiniteMarker, StringComparison.Ordinal)
                    ? text[NonFiniteMarker.Length..] switch { "NaN" => double.NaN, "Infinity" => double.PositiveInfinity, _ => double.NegativeInfinity }
                    : text;
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var l))
                {
                    return l;
                }

                var raw = reader.ValueSpan; // numbers carry no escapes; a span input gives no sequence
                if (raw.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0)
                {
                    return BigInteger.Parse(Encoding.ASCII.GetString(raw), CultureInfo.InvariantCulture);
                }

                return reader.GetDouble();
            case JsonTokenType.StartArray:
                var list = new List<object?>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    list.Add(ReadValue(ref reader));
                }

                return list;
            case JsonTokenType.StartObject:
                var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var name = reader.GetString()!;
                    reader.Read();
                    dict[name] = ReadValue(ref reader);
                }

                return dict;
            default:
                throw new JsonException($"unexpected JSON token {reader.TokenType} at byte {reader.TokenStartIndex}");
        }
    }

    // Rewrites bare NaN/Infinity/-Infinity (outside strings) as marker strings that ToObject reads back as reals;
    // null when there are none.
    private static byte[]? QuoteNonFinite(ReadOnlySpan<byte> utf8)
    {
        var output = new List<byte>(utf8.Length + 16);
        var inString = false;
        var changed = false;
        for (var i = 0; i < utf8.Length; i++)
        {
            var b = utf8[i];
            if (inString)
            {
                output.Add(b);
                if (b == (byte)'\\' && i + 1 < utf8.Length)
                {
                    output.Add(utf8[++i]);
                }
                else if (b == (byte)'"')
                {
                    inString = false;
                }

                continue;
            }

            if (b == (byte)'"')
            {
                inString = true;
                output.Add(b);
                continue;
            }

            foreach (var token in s_nonFinite)
            {
                if (utf8[i..].StartsWith(token))
                {
                    output.AddRange(Encoding.UTF8.GetBytes("\"\\u0000\\ue000" + Encoding.UTF8.GetString(token) + "\""));
                    i += token.Length - 1;
                    changed = true;
                    goto next;
                }
            }

            output.Add(b);
        next:;
        }

        return changed ? [.. output] : null;
    }

    /// <summary>Converts a parsed element to the value model.</summary>
    /// <param name="element">The element.</param>
    /// <returns>The value.</returns>
    public static object? ToObject(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
                return null;
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.String:
                var text = element.GetString();
                return text is not null && text.StartsWith(NonFiniteMarker, StringComparison.Ordinal)
                    ? text[NonFiniteMarker.Length..] switch { "NaN" => double.NaN, "Infinity" => double.PositiveInfinity, _ => double.NegativeInfinity }
                    : text;
            case JsonValueKind.Number:
                if (element.TryGetInt64(out var l))
                {
                    return l;
                }

                var raw = element.GetRawText();
                if (raw.AsSpan().IndexOfAny('.', 'e', 'E') < 0)
                {
                    return BigInteger.Parse(raw, CultureInfo.InvariantCulture);
                }

                return element.GetDouble();
            case JsonValueKind.Array:
                var list = new List<object?>(element.GetArrayLength());
                foreach (var item in element.EnumerateArray())
                {
                    list.Add(ToObject(item));
                }

                return list;
            default:
                var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var p in element.EnumerateObject())
                {
                    dict[p.Name] = ToObject(p.Value);
                }

                return dict;
        }
    }

    /// <summary>Writes one value of the model.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="ArgumentException">A value has no JSON form.</exception>
    public static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case char c:
                writer.WriteStringValue(c.ToString());
                break;
            case int or long or short or sbyte or byte or ushort or uint:
                writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case ulong ul:
                writer.WriteNumberValue(ul);
                break;
            case BigInteger bi:
                writer.WriteRawValue(bi.ToString(CultureInfo.InvariantCulture), skipInputValidation: true);
                break;
            case double or float:
                WriteReal(writer, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            case decimal m:
                // kombu's encoder writes Decimal as its str().
                writer.WriteStringValue(m.ToString(CultureInfo.InvariantCulture));
                break;
            case DateTimeOffset dto:
                writer.WriteStringValue(CeleryTime.IsoFormat(dto));
                break;
            case DateTime dt:
                writer.WriteStringValue(CeleryTime.IsoFormat(dt));
                break;
            case Guid g:
                writer.WriteStringValue(g.ToString());
                break;
            case byte[] or ReadOnlyMemory<byte> or Memory<byte>:
                throw new ArgumentException("bytes have no JSON form (kombu's json serializer refuses them too): use the pickle serializer");
            case PyDict pd:
                writer.WriteStartObject();
                foreach (var kv in pd)
                {
                    writer.WritePropertyName(KeyText(kv.Key));
                    Write(writer, kv.Value);
                }

                writer.WriteEndObject();
                break;
            case IDictionary d:
                writer.WriteStartObject();
                foreach (DictionaryEntry e in d)
                {
                    writer.WritePropertyName(KeyText(e.Key));
                    Write(writer, e.Value);
                }

                writer.WriteEndObject();
                break;
            case IEnumerable<KeyValuePair<string, object?>> kvs:
                writer.WriteStartObject();
                foreach (var kv in kvs)
                {
                    writer.WritePropertyName(kv.Key);
                    Write(writer, kv.Value);
                }

                writer.WriteEndObject();
                break;
            case IEnumerable e:
                writer.WriteStartArray();
                foreach (var item in e)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                throw new ArgumentException($"a {value.GetType().FullName} has no JSON form: use the pickle serializer or convert it");
        }
    }

    private static void WriteReal(Utf8JsonWriter writer, double d)
    {
        // Python's json writes NaN/Infinity tokens (allow_nan=True); System.Text.Json refuses them, so raw.
        if (double.IsNaN(d))
        {
            writer.WriteRawValue("NaN", skipInputValidation: true);
        }
        else if (double.IsInfinity(d))
        {
            writer.WriteRawValue(d > 0 ? "Infinity" : "-Infinity", skipInputValidation: true);
        }
        else
        {
            writer.WriteRawValue(PyRepr.Float(d), skipInputValidation: true);
        }
    }

    // Python's json turns int/float/bool/None keys into strings; anything else is a TypeError there too.
    private static string KeyText(object? key) => key switch
    {
        string s => s,
        null => "null",
        bool b => b ? "true" : "false",
        int or long or short or BigInteger => Convert.ToString(key, CultureInfo.InvariantCulture)!,
        double d => PyRepr.Float(d),
        _ => throw new ArgumentException($"a {key.GetType().FullName} key has no JSON form"),
    };
}
