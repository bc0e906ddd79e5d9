namespace Multiprocess.Celery.Protocol;

/// <summary>
/// A message as kombu hands it to a transport: serialized body, content type and encoding, application headers and
/// properties; plus, for a received message, where it came from (<c>delivery_info</c>) and its delivery tag.
/// </summary>
public sealed class BrokerMessage
{
    /// <summary>Gets or sets the serialized body (already decoded from the transport's base64).</summary>
    public required byte[] Body { get; set; }

    /// <summary>Gets or sets the MIME type of <see cref="Body"/>.</summary>
    public required string ContentType { get; set; }

    /// <summary>Gets or sets the content encoding (<c>utf-8</c>, <c>binary</c>).</summary>
    public required string ContentEncoding { get; set; }

    /// <summary>Gets the application headers (for task messages: protocol v2's headers).</summary>
    public Dictionary<string, object?> Headers { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Gets the AMQP-style properties (<c>correlation_id</c>, <c>reply_to</c>, <c>priority</c>, ...), without <c>delivery_info</c>.</summary>
    public Dictionary<string, object?> Properties { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Gets or sets the exchange it was published to (<c>""</c>: the default exchange, routing key = queue).</summary>
    public string Exchange { get; set; } = "";

    /// <summary>Gets or sets the routing key it was published with.</summary>
    public string RoutingKey { get; set; } = "";

    /// <summary>Gets or sets the delivery tag (kombu's virtual transports: a uuid per publish).</summary>
    public string DeliveryTag { get; set; } = "";

    /// <summary>Gets or sets a value indicating whether the broker delivered it before (restored after a lost worker).</summary>
    public bool Redelivered { get; set; }

    /// <summary>Gets the message priority from the properties (0 when absent or not a number).</summary>
    public int Priority => Properties.TryGetValue("priority", out var p) && p is long l ? (int)Math.Clamp(l, 0, 255) : 0;
}
