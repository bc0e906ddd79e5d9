using System.Globalization;

namespace Multiprocess.Celery.Protocol;

/// <summary>Times as Celery writes them: Python's <c>datetime.isoformat()</c>.</summary>
public static class CeleryTime
{
    /// <summary>Formats an aware time as <c>datetime.isoformat()</c> does: microseconds only when non-zero, then the offset.</summary>
    /// <param name="value">The time.</param>
    /// <returns>For example <c>2026-12-06T05:41:55.742596+00:00</c>.</returns>
    public static string IsoFormat(DateTimeOffset value)
    {
        var micro = (value.Ticks % TimeSpan.TicksPerSecond) / 10;
        var text = value.ToString(micro == 0 ? "yyyy-MM-dd'T'HH:mm:ss" : "yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        var offset = value.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        offset = offset.Duration();
        return FormattableString.Invariant($"{text}{sign}{offset.Hours:00}:{offset.Minutes:00}");
    }

    /// <summary>Formats a time as a naive <c>datetime.isoformat()</c> (no offset), the form of <c>date_done</c>.</summary>
    /// <param name="value">The time; UTC kinds and local kinds are converted to UTC first.</param>
    /// <returns>For example <c>2026-12-06T05:42:03.987358</c>.</returns>
    public static string IsoFormat(DateTime value)
    {
        if (value.Kind == DateTimeKind.Local)
        {
            value = value.ToUniversalTime();
        }

        var micro = (value.Ticks % TimeSpan.TicksPerSecond) / 10;
        return value.ToString(micro == 0 ? "yyyy-MM-dd'T'HH:mm:ss" : "yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
    }

    /// <summary>Parses an ISO 8601 time; a naive one is taken as UTC (Celery's own convention).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The time.</returns>
    /// <exception cref="FormatException">The text is not an ISO 8601 time.</exception>
    public static DateTimeOffset Parse(string text)
    {
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            throw new FormatException($"not an ISO 8601 time: '{text}'");
        }

        return value;
    }

    /// <summary>Gets the Unix time in seconds as a real, Python's <c>time.time()</c>.</summary>
    /// <returns>Seconds since the epoch.</returns>
    public static double Now() => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond;
}
