using Multiprocess.Pickle;

namespace Multiprocess.Celery.Protocol;

/// <summary>
/// A body serializer as kombu registers them (kombu/serialization.py): a name, the content type and encoding it
/// stamps on messages, and the codec.
/// </summary>
public abstract class CelerySerializer
{
    /// <summary>Gets kombu's <c>json</c> serializer (Celery's default): content type <c>application/json</c>, encoding <c>utf-8</c>.</summary>
    public static CelerySerializer Json { get; } = new JsonSerializer();

    /// <summary>Gets kombu's <c>pickle</c> serializer, over the engine's codec: <c>application/x-python-serialize</c>, <c>binary</c>.</summary>
    public static CelerySerializer Pickle { get; } = new PickleBodySerializer();

    /// <summary>Gets the name Celery's settings use (<c>task_serializer</c>, <c>result_serializer</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Gets the MIME type written in <c>content-type</c>.</summary>
    public abstract string ContentType { get; }

    /// <summary>Gets the value written in <c>content-encoding</c>.</summary>
    public abstract string ContentEncoding { get; }

    /// <summary>Finds a serializer by its Celery name.</summary>
    /// <param name="name"><c>json</c> or <c>pickle</c>.</param>
    /// <returns>The serializer.</returns>
    /// <exception cref="ArgumentException">Another name.</exception>
    public static CelerySerializer ForName(string name) => name switch
    {
        "json" => Json,
        "pickle" => Pickle,
        _ => throw new ArgumentException($"unknown serializer '{name}' (json or pickle)", nameof(name)),
    };

    /// <summary>Finds a serializer by the content type of a message.</summary>
    /// <param name="contentType">The MIME type.</param>
    /// <returns>The serializer.</returns>
    /// <exception cref="NotSupportedException">A content type this side does not decode (yaml, msgpack...).</exception>
    public static CelerySerializer ForContentType(string? contentType) => contentType switch
    {
        "application/json" => Json,
        "application/x-python-serialize" => Pickle,
        _ => throw new NotSupportedException($"content type '{contentType}' is not supported (application/json or application/x-python-serialize)"),
    };

    /// <summary>Serializes a value.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The bytes.</returns>
    public abstract byte[] Serialize(object? value);

    /// <summary>Deserializes a value.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>The value.</returns>
    public abstract object? Deserialize(ReadOnlySpan<byte> data);

    private sealed class JsonSerializer : CelerySerializer
    {
        public override string Name => "json";

        public override string ContentType => "application/json";

        public override string ContentEncoding => "utf-8";

        public override byte[] Serialize(object? value) => CeleryJson.Serialize(value);

        public override object? Deserialize(ReadOnlySpan<byte> data) => CeleryJson.Deserialize(data);
    }

    private sealed class PickleBodySerializer : CelerySerializer
    {
        // kombu pickles with pickle_protocol = 4 (KOMBU_PICKLE_PROTOCOL unset): every CPython 3.8+ reads it.
        private static readonly PickleOptions s_options = new() { Protocol = 4 };

        public override string Name => "pickle";

        public override string ContentType => "application/x-python-serialize";

        public override string ContentEncoding => "binary";

        public override byte[] Serialize(object? value) => PickleSerializer.Dumps(value, s_options);

        public override object? Deserialize(ReadOnlySpan<byte> data) => PickleSerializer.Loads(data);
    }
}
