using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client;

/// <summary>Reading the Python exception behind an error a manager call threw.</summary>
public static class ManagerExceptions
{
    /// <summary>
    /// Returns the Python exception a method raised in the manager (a <c>#ERROR</c> reply), with its type and
    /// args, or null when <paramref name="exception"/> did not come from one (e.g. a <see cref="RemoteException"/>
    /// carrying a traceback).
    /// </summary>
    /// <param name="exception">The exception a proxy call threw.</param>
    /// <returns>The Python exception, e.g. <c>KeyError('x')</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is null.</exception>
    public static PyException? GetPythonException(this Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            PyRaisedException raised => raised.Value,
            _ => exception.Data[PyException.DataKey] as PyException,
        };
    }
}
