namespace Multiprocess.Managers.Referents;

/// <summary>
/// Raises, for the client, a Python exception exactly as another Python process pickled it (a served Pool's task
/// failure: the worker's exception, whatever its class and however its library pickled it): the reply is
/// <c>('#ERROR', value)</c> with the value unchanged, as CPython's server sends the exception it caught.
/// </summary>
internal sealed class RaisedValueException : Exception
{
    public RaisedValueException(object value, string message)
        : base(message) => Value = value;

    /// <summary>Gets the exception object as unpickled.</summary>
    public object Value { get; }
}
