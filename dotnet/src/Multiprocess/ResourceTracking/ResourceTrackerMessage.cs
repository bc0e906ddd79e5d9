using System.Text;
using System.Text.Json;
using Multiprocess.Pickle;

namespace Multiprocess.ResourceTracking;

/// <summary>
/// The resource tracker's line protocol (docs/protocols.md §7.2), pure formatting and parsing. Two line forms, each
/// at most 512 bytes so that one write(2) to the pipe is atomic:
/// <list type="bullet">
/// <item><c>&lt;CMD&gt;:&lt;NAME&gt;:&lt;RTYPE&gt;\n</c>, ASCII: what every CPython writes. CPython 3.14 reads it as
/// <c>cmd, rest = split(':', 1); name, rtype = rest.rsplit(':', 1)</c>, so a name may contain ':'; 3.8–3.13 split it
/// into exactly three fields.</item>
/// <item><c>{"cmd":"REGISTER","rtype":"shared_memory","base64_name":"…"}\n</c> (3.14's JSON line, the name's UTF-8
/// bytes in URL-safe base64): what 3.14 writes for a name with a line break, and this engine for any name the first
/// form cannot carry (non-ASCII too). Only a 3.14 tracker or the engine's reads it.</item>
/// </list>
/// </summary>
public static class ResourceTrackerMessage
{
    /// <summary>The longest message CPython 3.10+ sends (<c>len(msg) &gt; 512</c> ⇒ "msg too long"): POSIX guarantees
    /// pipe writes up to PIPE_BUF (≥ 512) are atomic.</summary>
    public const int MaxLength = 512;

    /// <summary>The longest name a JSON line carries, in UTF-8 bytes (NAME_MAX; 3.14's "shared memory name too long").</summary>
    public const int MaxJsonNameBytes = 255;

    /// <summary>The probe CPython writes before every register/unregister once its tracker is running.</summary>
    public static ReadOnlySpan<byte> Probe => "PROBE:0:noop\n"u8;

    /// <summary>
    /// Encodes one message line as CPython 3.14's <c>ResourceTracker._send</c> does: the <c>CMD:NAME:RTYPE</c> form
    /// when the name is ASCII without line breaks (':' included, which only 3.14's and the engine's trackers read),
    /// else a JSON line (<see cref="FormatJson"/>).
    /// </summary>
    /// <param name="command"><c>REGISTER</c>, <c>UNREGISTER</c> or <c>PROBE</c>.</param>
    /// <param name="name">The resource name, e.g. <c>/psm_1a2b3c4d</c> or <c>/mp-abcd1234</c>.</param>
    /// <param name="resourceType">The resource type, e.g. <c>shared_memory</c>.</param>
    /// <exception cref="ArgumentException">The command or type is not ASCII or contains ':' or a line break, or the line
    /// is longer than <see cref="MaxLength"/> ("msg too long"), or a JSON name longer than <see cref="MaxJsonNameBytes"/>.</exception>
    public static byte[] Format(string command, string name, string resourceType)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!NeedsJson(name))
        {
            Validate(command, nameof(command));
            Validate(resourceType, nameof(resourceType));

            // CMD ':' NAME ':' RTYPE '\n'
            var length = command.Length + 1 + name.Length + 1 + resourceType.Length + 1;
            if (length > MaxLength)
            {
                throw new ArgumentException(
                    $"msg too long: the resource tracker line for '{name}' would be {length} bytes (at most {MaxLength})", nameof(name));
            }

            return Encoding.ASCII.GetBytes($"{command}:{name}:{resourceType}\n");
        }

        return FormatJson(command, name, resourceType);
    }

    /// <summary>
    /// Encodes one message as CPython 3.14's JSON line, byte for byte what <c>json.dumps({"cmd": …, "rtype": …,
    /// "base64_name": …}, ensure_ascii=True, separators=(",", ":"))</c> writes.
    /// </summary>
    /// <param name="command"><c>REGISTER</c>, <c>UNREGISTER</c> or <c>PROBE</c>.</param>
    /// <param name="name">The resource name (any text; encoded as UTF-8).</param>
    /// <param name="resourceType">The resource type.</param>
    /// <exception cref="ArgumentException">The command or type is not plain ASCII, or the name is longer than <see cref="MaxJsonNameBytes"/> bytes in UTF-8.</exception>
    public static byte[] FormatJson(string command, string name, string resourceType)
    {
        Validate(command, nameof(command));
        Validate(resourceType, nameof(resourceType));
        ArgumentNullException.ThrowIfNull(name);
        var bytes = new UTF8Encoding(false, throwOnInvalidBytes: true).GetBytes(name);
        if (bytes.Length > MaxJsonNameBytes)
        {
            throw new ArgumentException($"shared memory name too long (max {MaxJsonNameBytes} bytes): {PyRepr.Repr(name)} is {bytes.Length} bytes in UTF-8", nameof(name));
        }

        // base64.urlsafe_b64encode: the standard alphabet with - and _ for + and /, padded.
        var b64 = Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
        return Encoding.ASCII.GetBytes($"{{\"cmd\":\"{command}\",\"rtype\":\"{resourceType}\",\"base64_name\":\"{b64}\"}}\n");
    }

    /// <summary>
    /// Parses a line as CPython 3.14's tracker does (<c>_decode_message</c>): a JSON line when it starts with <c>{</c>,
    /// else <c>cmd, rest = line.strip().decode('ascii').split(':', 1)</c> and <c>name, rtype = rest.rsplit(':', 1)</c>.
    /// Every line of CPython 3.8–3.13 parses the same as there.
    /// </summary>
    /// <param name="line">The line, with or without its trailing newline.</param>
    /// <param name="command">The command field.</param>
    /// <param name="name">The name field.</param>
    /// <param name="resourceType">The resource type field.</param>
    /// <param name="error">Python's exception text when the line is malformed, e.g.
    /// <c>ValueError: not enough values to unpack (expected 2, got 1)</c>.</param>
    /// <returns>Whether the line is a message.</returns>
    public static bool TryParse(ReadOnlySpan<byte> line, out string command, out string name, out string resourceType, out string? error)
    {
        command = name = resourceType = "";
        if (line.Length > 0 && line[0] == (byte)'{')
        {
            return TryParseJson(line, ref command, ref name, ref resourceType, out error);
        }

        line = Strip(line);
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] > 0x7f)
            {
                error = $"UnicodeDecodeError: 'ascii' codec can't decode byte 0x{line[i]:x2} in position {i}: ordinal not in range(128)";
                return false;
            }
        }

        var text = Encoding.ASCII.GetString(line);
        var first = text.IndexOf(':', StringComparison.Ordinal);
        var last = text.LastIndexOf(':');
        if (first < 0 || last == first)
        {
            // cmd, rest = ....split(':', maxsplit=1), then name, rtype = rest.rsplit(':', maxsplit=1)
            error = "ValueError: not enough values to unpack (expected 2, got 1)";
            return false;
        }

        (command, name, resourceType) = (text[..first], text[(first + 1)..last], text[(last + 1)..]);
        error = null;
        return true;
    }

    /// <summary>Whether a name needs the JSON line: not ASCII, or a line break (which <c>strip()</c> and line reading would cut).</summary>
    private static bool NeedsJson(string name)
    {
        foreach (var c in name)
        {
            if (c > 0x7f || c is '\n' or '\r')
            {
                return true;
            }
        }

        return false;
    }

    private static bool TryParseJson(ReadOnlySpan<byte> line, ref string command, ref string name, ref string resourceType, out string? error)
    {
        JsonElement root;
        try
        {
            // json.loads(line.decode('ascii')): the trailing newline is whitespace to JSON.
            foreach (var b in line)
            {
                if (b > 0x7f)
                {
                    throw new FormatException("not ASCII");
                }
            }

            using var document = JsonDocument.Parse(line.ToArray());
            root = document.RootElement.Clone();
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            error = $"ValueError: malformed resource_tracker message: {PyRepr.Repr(line.ToArray())}";
            return false;
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            error = $"TypeError: malformed resource_tracker message (not an object): {PyRepr.Repr(line.ToArray())}";
            return false;
        }

        // obj["cmd"], obj["rtype"] (KeyError when missing), obj.get("base64_name", "")
        foreach (var key in (string[])["cmd", "rtype"])
        {
            if (!root.TryGetProperty(key, out _))
            {
                error = $"KeyError: '{key}'";
                return false;
            }
        }

        var cmd = root.GetProperty("cmd");
        var rtype = root.GetProperty("rtype");
        var hasName = root.TryGetProperty("base64_name", out var b64);
        if (cmd.ValueKind != JsonValueKind.String || rtype.ValueKind != JsonValueKind.String || (hasName && b64.ValueKind != JsonValueKind.String))
        {
            error = $"ValueError: malformed resource_tracker fields: {root.GetRawText()}";
            return false;
        }

        var encoded = hasName ? b64.GetString()! : "";
        byte[] raw;
        try
        {
            raw = Convert.FromBase64String(encoded.Replace('-', '+').Replace('_', '/'));
            name = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(raw);
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            // CPython decodes with surrogateescape; a name that is not UTF-8 cannot be a .NET string to unlink by.
            error = $"ValueError: malformed resource_tracker base64_name: {PyRepr.Repr(encoded)}";
            return false;
        }

        command = cmd.GetString()!;
        resourceType = rtype.GetString()!;
        error = null;
        return true;
    }
    // bytes.strip(): ASCII whitespace (space, \t \n \v \f \r) at both ends.
    private static ReadOnlySpan<byte> Strip(ReadOnlySpan<byte> s)
    {
        static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or 0x0b or 0x0c or (byte)'\r';
        var start = 0;
        var end = s.Length;
        while (start < end && IsSpace(s[start]))
        {
            start++;
        }

        while (end > start && IsSpace(s[end - 1]))
        {
            end--;
        }

        return s[start..end];
    }

    private static void Validate(string field, string parameter)
    {
        foreach (var c in field)
        {
            if (c > 0x7f || c is ':' or '\n' or '\r' or '"' or '\\' || char.IsControl(c))
            {
                throw new ArgumentException(
                    $"resource tracker field {PyRepr.Repr(field)} contains {PyRepr.Repr(c.ToString())}: "
                    + "a command or resource type must be ASCII without ':', quotes, backslashes or control characters",
                    parameter);
            }
        }
    }
}
