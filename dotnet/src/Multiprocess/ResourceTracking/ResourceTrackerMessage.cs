using System.Text;

namespace Multiprocess.ResourceTracking;

/// <summary>
/// The resource tracker's line protocol (protocols.md §7.2), pure formatting and parsing:
/// <c>&lt;CMD&gt;:&lt;NAME&gt;:&lt;RTYPE&gt;\n</c>, ASCII, at most 512 bytes so that one write(2) to the pipe is atomic.
/// </summary>
public static class ResourceTrackerMessage
{
    /// <summary>The longest message CPython 3.10+ sends (<c>len(msg) &gt; 512</c> ⇒ "msg too long"): POSIX guarantees
    /// pipe writes up to PIPE_BUF (≥ 512) are atomic.</summary>
    public const int MaxLength = 512;

    /// <summary>The probe CPython writes before every register/unregister once its tracker is running.</summary>
    public static ReadOnlySpan<byte> Probe => "PROBE:0:noop\n"u8;

    /// <summary>Encodes one message line.</summary>
    /// <param name="command"><c>REGISTER</c>, <c>UNREGISTER</c> or <c>PROBE</c>.</param>
    /// <param name="name">The resource name, e.g. <c>/psm_1a2b3c4d</c> or <c>/mp-abcd1234</c>.</param>
    /// <param name="resourceType">The resource type, e.g. <c>shared_memory</c>.</param>
    /// <exception cref="ArgumentException">A field is not ASCII or contains ':' or a line break (the tracker splits the
    /// line on ':' into exactly three fields), or the line is longer than <see cref="MaxLength"/>.</exception>
    public static byte[] Format(string command, string name, string resourceType)
    {
        Validate(command, nameof(command));
        Validate(name, nameof(name));
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

    /// <summary>Parses a line as CPython's tracker does: <c>line.strip().decode('ascii').split(':')</c>, exactly three
    /// fields.</summary>
    /// <param name="line">The line, with or without its trailing newline.</param>
    /// <param name="command">The command field.</param>
    /// <param name="name">The name field.</param>
    /// <param name="resourceType">The resource type field.</param>
    /// <param name="error">Python's exception text when the line is malformed, e.g.
    /// <c>ValueError: not enough values to unpack (expected 3, got 2)</c>.</param>
    /// <returns>Whether the line has three ASCII fields.</returns>
    public static bool TryParse(ReadOnlySpan<byte> line, out string command, out string name, out string resourceType, out string? error)
    {
        command = name = resourceType = "";
        line = Strip(line);
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] > 0x7f)
            {
                error = $"UnicodeDecodeError: 'ascii' codec can't decode byte 0x{line[i]:x2} in position {i}: ordinal not in range(128)";
                return false;
            }
        }

        var fields = Encoding.ASCII.GetString(line).Split(':');
        if (fields.Length != 3)
        {
            error = fields.Length < 3
                ? $"ValueError: not enough values to unpack (expected 3, got {fields.Length})"
                : $"ValueError: too many values to unpack (expected 3)";
            return false;
        }

        (command, name, resourceType) = (fields[0], fields[1], fields[2]);
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
            if (c > 0x7f || c is ':' or '\n' or '\r')
            {
                throw new ArgumentException(
                    $"resource tracker field {Internal.PyRepr.Str(field)} contains {Internal.PyRepr.Str(c.ToString())}: "
                    + "fields must be ASCII without ':' or line breaks",
                    parameter);
            }
        }
    }
}
