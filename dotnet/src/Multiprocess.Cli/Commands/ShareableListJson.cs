using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Multiprocess.Pickle;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// ShareableList items as one JSON array: int, str, bool and None as plain JSON values; a float as a JSON number that
/// always has a '.' or an exponent (Python's repr: <c>2.0</c>, <c>1e+16</c>) or <c>{"float": "nan"|"inf"|"-inf"}</c>;
/// bytes as <c>{"bytes": "&lt;hex&gt;"}</c>.
/// </summary>
internal static class ShareableListJson
{
    private static readonly JsonWriterOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the items as a one-line JSON array.</summary>
    public static string Write(IEnumerable<object?> items)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, s_options))
        {
            w.WriteStartArray();
            foreach (var item in items)
            {
                WriteValue(w, item);
            }

            w.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Parses a JSON array into ShareableList items.</summary>
    /// <exception cref="FormatException">The text is not such an array; the message names the item.</exception>
    public static List<object?> Parse(string json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"--list is not valid JSON: {e.Message}", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException($"--list must be a JSON array, not {doc.RootElement.ValueKind}");
            }

            return doc.RootElement.EnumerateArray().Select(ParseValue).ToList();
        }
    }

    private static void WriteValue(Utf8JsonWriter w, object? item)
    {
        switch (item)
        {
            case null:
                w.WriteNullValue();
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case long l:
                w.WriteNumberValue(l);
                break;
            case double d when double.IsFinite(d):
                w.WriteRawValue(PyRepr.Float(d), skipInputValidation: true);
                break;
            case double d:
                w.WriteStartObject();
                w.WriteString("float", PyRepr.Float(d));
                w.WriteEndObject();
                break;
            case string s:
                w.WriteStringValue(s);
                break;
            case byte[] bytes:
                w.WriteStartObject();
                w.WriteString("bytes", Convert.ToHexStringLower(bytes));
                w.WriteEndObject();
                break;
            default:
                throw new InvalidOperationException($"not a ShareableList value: {item.GetType()}");
        }
    }

    private static object? ParseValue(JsonElement e, int index)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.String:
                return e.GetString();
            case JsonValueKind.Number:
                var raw = e.GetRawText();
                if (raw.AsSpan().IndexOfAny(".eE") >= 0)
                {
                    return e.GetDouble();
                }

                return e.TryGetInt64(out var l)
                    ? l
                    : throw new FormatException($"item {index}: {raw} is outside int64, which a ShareableList int holds");
            case JsonValueKind.Object:
                return ParseObject(e, index);
            default:
                throw new FormatException($"item {index}: a ShareableList cannot hold a JSON {e.ValueKind} ({e.GetRawText()})");
        }
    }

    private static object ParseObject(JsonElement e, int index)
    {
        var properties = e.EnumerateObject().ToList();
        if (properties.Count == 1 && properties[0].Value.ValueKind == JsonValueKind.String)
        {
            var text = properties[0].Value.GetString()!;
            switch (properties[0].Name)
            {
                case "float":
                    return text switch
                    {
                        "nan" => double.NaN,
                        "inf" => double.PositiveInfinity,
                        "-inf" => double.NegativeInfinity,
                        _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
                        _ => throw new FormatException($"item {index}: {{\"float\": \"{text}\"}} is not nan, inf, -inf or a number"),
                    };
                case "bytes":
                    try
                    {
                        return Convert.FromHexString(text);
                    }
                    catch (FormatException ex)
                    {
                        throw new FormatException($"item {index}: {{\"bytes\": \"{text}\"}} is not hex", ex);
                    }
            }
        }

        throw new FormatException($"item {index}: {e.GetRawText()} is not {{\"float\": ...}} or {{\"bytes\": ...}}");
    }
}
