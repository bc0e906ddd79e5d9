using System.Globalization;
using System.Text;

namespace Multiprocess.Pickle;

/// <summary>
/// The <c>datetime</c> module's pickled forms (Modules/_datetimemodule.c __reduce_ex__): <c>datetime(bytes10[, tz])</c>,
/// <c>date(bytes4)</c>, <c>time(bytes6[, tz])</c>, <c>timedelta(days, seconds, us)</c>, <c>timezone(timedelta[, name])</c>,
/// and their reprs.
/// </summary>
internal static class PyDateTime
{
    public static readonly PyGlobal DateTimeClass = new("datetime", "datetime");
    public static readonly PyGlobal DateClass = new("datetime", "date");
    public static readonly PyGlobal TimeClass = new("datetime", "time");
    public static readonly PyGlobal TimeDeltaClass = new("datetime", "timedelta");
    public static readonly PyGlobal TimeZoneClass = new("datetime", "timezone");

    private const long TicksPerMicrosecond = 10;

    // datetime state: year hi, year lo, month (|0x80 = fold), day, hour, minute, second, microsecond (3 bytes BE).
    public static byte[] DateTimeState(DateTime value)
    {
        var us = value.Ticks % TimeSpan.TicksPerSecond / TicksPerMicrosecond;
        return
        [
            (byte)(value.Year >> 8), (byte)value.Year, (byte)value.Month, (byte)value.Day,
            (byte)value.Hour, (byte)value.Minute, (byte)value.Second,
            (byte)(us >> 16), (byte)(us >> 8), (byte)us,
        ];
    }

    public static byte[] DateState(DateOnly value) => [(byte)(value.Year >> 8), (byte)value.Year, (byte)value.Month, (byte)value.Day];

    // time state: hour (|0x80 = fold), minute, second, microsecond (3 bytes BE).
    public static byte[] TimeState(TimeOnly value)
    {
        var us = value.Ticks % TimeSpan.TicksPerSecond / TicksPerMicrosecond;
        return [(byte)value.Hour, (byte)value.Minute, (byte)value.Second, (byte)(us >> 16), (byte)(us >> 8), (byte)us];
    }

    /// <summary>Reads a datetime state; null when it has no natural .NET form (fold set, or out of range).</summary>
    public static DateTime? ReadDateTime(ReadOnlySpan<byte> s)
    {
        if (s.Length != 10 || (s[2] & 0x80) != 0)
        {
            return null;
        }

        int year = (s[0] << 8) | s[1], month = s[2], day = s[3], hour = s[4], minute = s[5], second = s[6];
        var us = (s[7] << 16) | (s[8] << 8) | s[9];
        if (year is < 1 or > 9999 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59 || us > 999_999)
        {
            return null;
        }

        return new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(us * TicksPerMicrosecond);
    }

    public static DateOnly? ReadDate(ReadOnlySpan<byte> s)
    {
        if (s.Length != 4)
        {
            return null;
        }

        int year = (s[0] << 8) | s[1], month = s[2], day = s[3];
        if (year is < 1 or > 9999 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return null;
        }

        return new DateOnly(year, month, day);
    }

    public static TimeOnly? ReadTime(ReadOnlySpan<byte> s)
    {
        if (s.Length != 6 || (s[0] & 0x80) != 0)
        {
            return null;
        }

        int hour = s[0], minute = s[1], second = s[2];
        var us = (s[3] << 16) | (s[4] << 8) | s[5];
        if (hour > 23 || minute > 59 || second > 59 || us > 999_999)
        {
            return null;
        }

        return new TimeOnly(hour, minute, second).Add(TimeSpan.FromTicks(us * TicksPerMicrosecond));
    }

    /// <summary>timedelta's normalized (days, seconds, microseconds): 0 ≤ seconds &lt; 86400, 0 ≤ us &lt; 10**6; sub-microsecond ticks floored.</summary>
    public static (long Days, long Seconds, long Microseconds) SplitTimeDelta(TimeSpan value)
    {
        var totalUs = FloorDiv(value.Ticks, TicksPerMicrosecond);
        var days = FloorDiv(totalUs, 86_400_000_000L);
        var rest = totalUs - (days * 86_400_000_000L);
        return (days, rest / 1_000_000, rest % 1_000_000);
    }

    public static TimeSpan? ReadTimeDelta(object? days, object? seconds, object? microseconds)
    {
        if (days is not long d || seconds is not long s || microseconds is not long us)
        {
            return null;
        }

        var total = (System.Numerics.BigInteger)d * 86_400_000_000L + (System.Numerics.BigInteger)s * 1_000_000 + us;
        var ticks = total * TicksPerMicrosecond;
        return ticks >= TimeSpan.MinValue.Ticks && ticks <= TimeSpan.MaxValue.Ticks ? TimeSpan.FromTicks((long)ticks) : null;
    }

    /// <summary>The offset of a <c>datetime.timezone(timedelta)</c> value that DateTimeOffset can carry (whole minutes, ±14 h, no name).</summary>
    public static TimeSpan? ReadFixedOffset(object? tz)
    {
        if (tz is PyReduce { Kind: PyReduceKind.Reduce, Callable: PyGlobal g, State: null, ListItems: null, DictItems: null } r
            && g.Equals(TimeZoneClass) && r.Args.Count == 1 && r.Args[0] is TimeSpan offset
            && offset.Ticks % TimeSpan.TicksPerMinute == 0 && offset.Duration() <= TimeSpan.FromHours(14))
        {
            return offset;
        }

        return null;
    }

    public static PyReduce TimeZone(TimeSpan offset) => new(TimeZoneClass, PyTuple.Create(offset));

    public static void WriteRepr(StringBuilder sb, object value)
    {
        var inv = CultureInfo.InvariantCulture;
        switch (value)
        {
            case DateTime dt:
                WriteDateTimeFields(sb, dt);
                sb.Append(')');
                break;
            case DateTimeOffset dto:
                WriteDateTimeFields(sb, dto.DateTime);
                sb.Append(", tzinfo=");
                WriteTimeZone(sb, dto.Offset);
                sb.Append(')');
                break;
            case DateOnly d:
                sb.Append(inv, $"datetime.date({d.Year}, {d.Month}, {d.Day})");
                break;
            case TimeOnly t:
                var us = t.Ticks % TimeSpan.TicksPerSecond / TicksPerMicrosecond;
                sb.Append(inv, $"datetime.time({t.Hour}, {t.Minute}");
                if (us != 0)
                {
                    sb.Append(inv, $", {t.Second}, {us}");
                }
                else if (t.Second != 0)
                {
                    sb.Append(inv, $", {t.Second}");
                }

                sb.Append(')');
                break;
            case TimeSpan ts:
                WriteTimeDelta(sb, ts);
                break;
        }
    }

    private static void WriteDateTimeFields(StringBuilder sb, DateTime dt)
    {
        var inv = CultureInfo.InvariantCulture;
        var us = dt.Ticks % TimeSpan.TicksPerSecond / TicksPerMicrosecond;
        sb.Append(inv, $"datetime.datetime({dt.Year}, {dt.Month}, {dt.Day}, {dt.Hour}, {dt.Minute}");
        if (us != 0)
        {
            sb.Append(inv, $", {dt.Second}, {us}");
        }
        else if (dt.Second != 0)
        {
            sb.Append(inv, $", {dt.Second}");
        }
    }

    public static void WriteTimeZone(StringBuilder sb, TimeSpan offset)
    {
        if (offset == TimeSpan.Zero)
        {
            sb.Append("datetime.timezone.utc");
            return;
        }

        sb.Append("datetime.timezone(");
        WriteTimeDelta(sb, offset);
        sb.Append(')');
    }

    private static void WriteTimeDelta(StringBuilder sb, TimeSpan ts)
    {
        var (days, seconds, micro) = SplitTimeDelta(ts);
        var parts = new List<string>(3);
        if (days != 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"days={days}"));
        }

        if (seconds != 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"seconds={seconds}"));
        }

        if (micro != 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"microseconds={micro}"));
        }

        sb.Append("datetime.timedelta(").Append(parts.Count == 0 ? "0" : string.Join(", ", parts)).Append(')');
    }

    private static long FloorDiv(long a, long b)
    {
        var q = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
    }
}
