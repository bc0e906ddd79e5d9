using System.Buffers;
using Multiprocess.Pickle;

namespace Multiprocess.XmlRpc;

/// <summary>
/// multiprocessing's <c>serializer='xmlrpclib'</c> (Lib/multiprocessing/connection.py, <c>_xml_dumps</c> and
/// <c>_xml_loads</c>): each message is one value as an XML-RPC <c>&lt;params&gt;</c> document in UTF-8, in the
/// same length-prefixed frames as pickles. Mapping and limits: docs/xmlrpc.md.
/// </summary>
/// <example><code>
/// byte[] doc = XmlRpcSerializer.Dumps(PyTuple.Create("#RETURN", 42L));   // &lt;params&gt;&lt;param&gt;&lt;value&gt;&lt;array&gt;...
/// object? value = XmlRpcSerializer.Loads(doc);                           // List&lt;object?&gt; { "#RETURN", 42L }
/// </code></example>
public static class XmlRpcSerializer
{
    /// <summary>The deepest nesting of arrays and structs written (CPython's recursive marshaller stops near 1000 frames).</summary>
    public const int DefaultMaxDepth = 500;

    /// <summary>Whether a frame is an XML document rather than a pickle: its first byte is <c>&lt;</c>, which no pickle starts with.</summary>
    /// <param name="frame">A received message.</param>
    /// <returns>True for XML (<c>_xml_dumps</c> writes no declaration, so the document starts with <c>&lt;params&gt;</c>).</returns>
    public static bool IsXml(ReadOnlySpan<byte> frame)
    {
        // A pickle starts with PROTO (0x80) or, at protocols 0-1, with an opcode; '<' (0x3C) is none of them.
        // Tolerate a UTF-8 byte order mark and leading whitespace, which XML allows before the first element.
        if (frame.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            frame = frame[3..];
        }

        var i = 0;
        while (i < frame.Length && frame[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            i++;
        }

        return i < frame.Length && frame[i] == (byte)'<';
    }

    /// <summary><c>_xml_dumps(obj)</c>: the value as a one-param XML-RPC document.</summary>
    /// <param name="value">The value: null, bool, integers within 32 bits, double, string, byte[], lists, tuples, dicts with str keys, DateTime, <see cref="XmlRpcDateTime"/>.</param>
    /// <returns>The UTF-8 document.</returns>
    /// <exception cref="XmlRpcException">The value or something inside it has no XML-RPC form (CPython's TypeError or OverflowError).</exception>
    public static byte[] Dumps(object? value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Dump(buffer, value);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><c>_xml_dumps(obj)</c> into a buffer. On failure, what was written so far must be discarded.</summary>
    /// <param name="output">Where the UTF-8 document goes.</param>
    /// <param name="value">The value.</param>
    /// <param name="maxDepth">The deepest nesting of arrays and structs accepted.</param>
    /// <exception cref="XmlRpcException">The value or something inside it has no XML-RPC form.</exception>
    public static void Dump(IBufferWriter<byte> output, object? value, int maxDepth = DefaultMaxDepth)
    {
        ArgumentNullException.ThrowIfNull(output);
        XmlRpcWriter.WriteParams(output, value, maxDepth);
    }

    /// <summary><c>_xml_loads(s)</c>: the one value of an XML-RPC document.</summary>
    /// <param name="document">The UTF-8 document.</param>
    /// <param name="maxDepth">The deepest element nesting accepted.</param>
    /// <returns>The value (arrays as <c>List&lt;object?&gt;</c>, structs as <see cref="PyDict"/>, base64 as <c>byte[]</c>).</returns>
    /// <exception cref="XmlRpcException">Not well-formed, a DTD, over a limit, not XML-RPC, or not exactly one param.</exception>
    public static object? Loads(ReadOnlySpan<byte> document, int maxDepth = DefaultMaxDepth * 3)
    {
        var values = XmlRpcReader.ReadParams(document, maxDepth);

        // (obj,), method = xmlrpclib.loads(...)
        return values.Count == 1
            ? values[0]
            : throw new XmlRpcException(PyException.Builtin("ValueError", values.Count == 0
                ? "not enough values to unpack (expected 1, got 0): the document has no <param>"
                : $"too many values to unpack (expected 1): the document has {values.Count} <param> values"));
    }
}
