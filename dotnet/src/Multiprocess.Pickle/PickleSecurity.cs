namespace Multiprocess.Pickle;

/// <summary>
/// Limits for untrusted input (MessagePackSecurity's idea). The unpickler never runs code and never instantiates
/// unregistered .NET types whatever these are; the limits bound the work and memory a hostile pickle can cost.
/// Allocation is always bounded by the input: no length field can make the reader allocate more than the bytes
/// that remain.
/// </summary>
public sealed class PickleSecurity
{
    /// <summary>Gets the limits used unless told otherwise: safe for pickles from untrusted peers.</summary>
    public static PickleSecurity Default { get; } = new();

    /// <summary>Gets limits for trusted data: very deep nesting and any number of digits allowed.</summary>
    public static PickleSecurity Trusted { get; } = new() { MaxDepth = 100_000, MaxIntegerDigits = int.MaxValue };

    /// <summary>Gets the deepest nesting of containers allowed, reading and writing (CPython's recursion limit is 1000).</summary>
    public int MaxDepth { get; init; } = 5_000;

    /// <summary>Gets the most memo entries (PUT/MEMOIZE) a pickle may create.</summary>
    public int MaxMemoEntries { get; init; } = 1 << 26;

    /// <summary>Gets the most decimal digits of a protocol-0 text integer (INT, LONG); CPython 3.11+ allows 4300.</summary>
    public int MaxIntegerDigits { get; init; } = 4_300;

    /// <summary>
    /// Gets a filter of globals (module, qualified name), like overriding <c>Unpickler.find_class</c> to restrict it:
    /// returning false rejects the pickle. Null allows every global (they are kept as data, never imported).
    /// </summary>
    public Func<string, string, bool>? AllowGlobal { get; init; }
}
