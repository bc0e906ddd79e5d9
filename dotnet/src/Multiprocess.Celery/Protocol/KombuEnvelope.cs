using System.Text.Json;

namespace Multiprocess.Celery.Protocol;

/// <summary>
/// The JSON envelope kombu's virtual transports (Redis among them) store a message in
/// (kombu/transport/virtual/base.py <c>prepare_message</c>, <c>_inplace_augment_message</c>):
/// <code>
/// {"body": base64(body), "content-encoding": ..., "content-type": ..., "headers": {...},
///  "properties": {..., "delivery_info": {"exchange": ..., "routing_key": ...}, "priority": n,
///                 "body_encoding": "base64", "delivery_tag": uuid}}
/// </code>
/// </summary>
public static class KombuEnvelope
{
    /// <summary>Writes the envelope of a message about to be published.</summary>
    /// <param name="message">The message; its <see cref="BrokerMessage.DeliveryTag"/> is set to a new uuid when empty.</param>
    /// <returns>The UTF-8 JSON.</returns>
    public static byte[] Write(BrokerMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.DeliveryTag.Length == 0)
        {
            message.DeliveryTag = Guid.NewGuid().ToString();
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(message.Body.Length * 4 / 3 + 768);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteBase64String("body", message.Body);
            w.WriteString("content-encoding", message.ContentEncoding);
            w.WriteString("content-type", message.ContentType);
            w.WritePropertyName("headers");
            CeleryJson.Write(w, message.Headers);
            w.WritePropertyName("properties");
            w.WriteStartObject();
            foreach (var kv in message.Properties)
            {
                if (kv.Key is "delivery_info" or "body_encoding" or "delivery_tag")
                {
                    continue;
                }

                w.WritePropertyName(kv.Key);
                CeleryJson.Write(w, kv.Value);
            }

            w.WriteStartObject("delivery_info");
            w.WriteString("exchange", message.Exchange);
            w.WriteString("routing_key", message.RoutingKey);
            if (message.Redelivered)
            {
                w.WriteBoolean("redelivered", true);
            }

            w.WriteEndObject();
            w.WriteString("body_encoding", "base64");
            w.WriteString("delivery_tag", message.DeliveryTag);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads an envelope.</summary>
    /// <param name="json">The UTF-8 JSON a transport stored.</param>
    /// <returns>The message, body decoded.</returns>
    /// <exception cref="FormatException">Not a kombu envelope.</exception>
    public static BrokerMessage Read(ReadOnlySpan<byte> json)
    {
        if (CeleryJson.Deserialize(json) is not Dictionary<string, object?> env)
        {
            throw new FormatException("not a kombu message envelope: the JSON is not an object");
        }

        var properties = env.GetValueOrDefault("properties") as Dictionary<string, object?> ?? new(StringComparer.Ordinal);
        var deliveryInfo = properties.GetValueOrDefault("delivery_info") as Dictionary<string, object?>;
        var bodyText = env.GetValueOrDefault("body") as string ?? throw new FormatException("not a kombu message envelope: no string 'body'");
        var encoding = properties.GetValueOrDefault("body_encoding") as string;
        byte[] body;
        if (encoding == "base64")
        {
            try
            {
                body = Convert.FromBase64String(bodyText);
            }
            catch (FormatException e)
            {
                throw new FormatException($"kombu message envelope: the body is not base64 ({e.Message})", e);
            }
        }
        else if (encoding is null)
        {
            body = System.Text.Encoding.UTF8.GetBytes(bodyText);
        }
        else
        {
            throw new FormatException($"kombu message envelope: body_encoding '{encoding}' is not supported (base64)");
        }

        var message = new BrokerMessage
        {
            Body = body,
            ContentType = env.GetValueOrDefault("content-type") as string ?? "application/data",
            ContentEncoding = env.GetValueOrDefault("content-encoding") as string ?? "binary",
            Headers = env.GetValueOrDefault("headers") as Dictionary<string, object?> ?? new(StringComparer.Ordinal),
            Properties = properties,
            Exchange = deliveryInfo?.GetValueOrDefault("exchange") as string ?? "",
            RoutingKey = deliveryInfo?.GetValueOrDefault("routing_key") as string ?? "",
            DeliveryTag = properties.GetValueOrDefault("delivery_tag") as string ?? "",
            Redelivered = deliveryInfo?.GetValueOrDefault("redelivered") is true,
        };
        return message;
    }
}
