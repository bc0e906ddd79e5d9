namespace Multiprocess.Pickle;

/// <summary>The class of a <see cref="PyDecimal"/> value.</summary>
public enum PyDecimalKind
{
    /// <summary>A finite number.</summary>
    Finite,

    /// <summary><c>Infinity</c> or <c>-Infinity</c>.</summary>
    Infinity,

    /// <summary>A quiet NaN.</summary>
    NaN,

    /// <summary>A signaling NaN (<c>sNaN</c>).</summary>
    SignalingNaN,
}
