namespace Multiprocess.XmlRpc;

/// <summary>
/// <c>xmlrpc.client.DateTime</c>: a <c>dateTime.iso8601</c> value kept as its text (<c>20261206T09:30:00</c>), as
/// CPython's <c>loads</c> returns it when <c>use_datetime</c> is off (multiprocessing's <c>_xml_loads</c>). Written
/// back, it gives the same text. <see cref="ToDateTime"/> parses the one format CPython writes.
/// </summary>
/// <param name="Value">The element's text, stripped of surrounding whitespace (<c>DateTime.decode</c>).</param>
public sealed record XmlRpcDateTime(string Value)
{
    /// <summary>Parses <see cref="Value"/> as CPython's <c>_datetime_type</c> does (<c>%Y%m%dT%H:%M:%S</c>).</summary>
    /// <returns>The naive date and time.</returns>
    /// <exception cref="FormatException">The text is not in that format.</exception>
    public DateTime ToDateTime() =>
        DateTime.ParseExact(Value, "yyyyMMdd'T'HH':'mm':'ss", System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public override string ToString() => $"<DateTime '{Value}'>";
}
