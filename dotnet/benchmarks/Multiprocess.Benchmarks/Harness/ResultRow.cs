namespace Multiprocess.Benchmarks.Harness;

/// <summary>
/// One line of a results CSV: one implementation measured on one case. <see cref="Ratio"/> compares it with the
/// case's baseline row (the peer): baseline median / this median, so above 1 means faster than the peer.
/// </summary>
public sealed class ResultRow
{
    /// <summary>Gets or sets the capability (connection, pickle, ...).</summary>
    public string Suite { get; set; } = "";

    /// <summary>Gets or sets the case (payload or message pattern).</summary>
    public string Case { get; set; } = "";

    /// <summary>Gets or sets who ran it (e.g. "C#↔C#", "CPython 3.12", "Razorvine").</summary>
    public string Implementation { get; set; } = "";

    /// <summary>Gets or sets the baseline implementation of this case, that <see cref="Ratio"/> compares with.</summary>
    public string Baseline { get; set; } = "";

    /// <summary>Gets or sets the fastest sample, ns per operation.</summary>
    public double MinNs { get; set; }

    /// <summary>Gets or sets the median sample, ns per operation.</summary>
    public double MedianNs { get; set; }

    /// <summary>Gets or sets operations per second at the median.</summary>
    public double OpsPerSec { get; set; }

    /// <summary>Gets or sets bytes per operation where throughput matters (0 otherwise).</summary>
    public long BytesPerOp { get; set; }

    /// <summary>Gets or sets MB/s at the median (10^6 bytes), where <see cref="BytesPerOp"/> is set.</summary>
    public double MBPerSec { get; set; }

    /// <summary>Gets or sets baseline median / this median (speed-up over the baseline).</summary>
    public double Ratio { get; set; }

    /// <summary>Gets or sets how many samples were taken.</summary>
    public int Samples { get; set; }

    /// <summary>Gets or sets operations per sample.</summary>
    public long OpsPerSample { get; set; }

    /// <summary>Gets or sets the command line that produced the row.</summary>
    public string Command { get; set; } = "";

    /// <summary>Gets or sets when it ran (UTC, ISO 8601).</summary>
    public string Timestamp { get; set; } = "";

    /// <summary>Gets or sets a free-text note (e.g. goal met or not).</summary>
    public string Note { get; set; } = "";

    /// <summary>Gets or sets the machine that ran it (CPU model, cores, OS): empty in results from before the column.</summary>
    public string Machine { get; set; } = "";

    /// <summary>Creates a row from stats.</summary>
    public static ResultRow From(string suite, string @case, string implementation, Stats stats, long bytesPerOp = 0) => new()
    {
        Suite = suite,
        Case = @case,
        Implementation = implementation,
        MinNs = stats.MinNs,
        MedianNs = stats.MedianNs,
        OpsPerSec = 1e9 / stats.MedianNs,
        BytesPerOp = bytesPerOp,
        MBPerSec = bytesPerOp > 0 ? bytesPerOp / stats.MedianNs * 1e9 / 1e6 : 0,
        Samples = stats.Samples,
        OpsPerSample = stats.OpsPerSample,
    };
}
