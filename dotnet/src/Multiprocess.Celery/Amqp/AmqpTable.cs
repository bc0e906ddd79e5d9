using System.Text;

namespace Multiprocess.Celery.Amqp;

/// <summary>
/// Converts between the value model and AMQP field tables: RabbitMQ.Client reads strings (longstr) as bytes, so
/// headers written by py-amqp come back as <see cref="byte"/>[] and are decoded as UTF-8 here.
/// </summary>
internal static class AmqpTable
{
    public static Dictionary<string, object?> ToTable(IReadOnlyDictionary<string, object?> headers)
    {
        var table = new Dictionary<string, object?>(headers.Count, StringComparer.Ordinal);
        foreach (var kv in headers)
        {
            table[kv.Key] = ToField(kv.Value);
        }

        return table;
    }

    public static Dictionary<string, object?> FromTable(IDictionary<string, object?>? table)
    {
        var headers = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (table is not null)
        {
            foreach (var kv in table)
            {
                headers[kv.Key] = FromField(kv.Value);
            }
        }

        return headers;
    }

    private static object? ToField(object? value) => value switch
    {
        null or string or bool or long or double => value,
        int i => (long)i,
        IReadOnlyDictionary<string, object?> d => ToTable(d),
        System.Collections.IEnumerable e and not byte[] => e.Cast<object?>().Select(ToField).ToList(),
        _ => value,
    };

    private static object? FromField(object? value) => value switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        int i => (long)i,
        short s => (long)s,
        byte b => (long)b,
        sbyte sb => (long)sb,
        uint ui => (long)ui,
        float f => (double)f,
        decimal m => (double)m,
        IDictionary<string, object?> d => FromTable(d),
        System.Collections.IList list => list.Cast<object?>().Select(FromField).ToList(),
        RabbitMQ.Client.AmqpTimestamp ts => DateTimeOffset.FromUnixTimeSeconds(ts.UnixTime),
        _ => value,
    };
}
