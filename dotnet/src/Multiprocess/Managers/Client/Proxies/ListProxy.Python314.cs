using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>
/// What CPython 3.14's <c>ListProxy</c> exposes beyond 3.13's (Lib/multiprocessing/managers.py, <c>BaseListProxy</c>):
/// <c>clear</c> and <c>copy</c>. Against an older manager they fail before any call, naming what it exposes.
/// </summary>
public sealed partial class ListProxy
{
    /// <summary>Returns a shallow copy of the list (<c>l.copy()</c>): a plain list, not shared.</summary>
    /// <returns>The copy.</returns>
    /// <exception cref="NotSupportedException">The manager does not expose <c>copy</c> for lists (CPython 3.8–3.13, <c>multiprocess</c> before 0.70.19): <see cref="ToList"/> reads the same items there.</exception>
    public List<object?> Copy()
    {
        RequireExposed("copy", "CPython 3.14");
        return (List<object?>)CallMethod("copy")!;
    }

    /// <summary>Removes every item with the list's own <c>clear()</c> (one call; <see cref="Clear"/> deletes the whole slice instead, which every version exposes).</summary>
    /// <exception cref="NotSupportedException">The manager does not expose <c>clear</c> for lists (CPython 3.8–3.13).</exception>
    public void ClearByMethod()
    {
        RequireExposed("clear", "CPython 3.14");
        CallMethod("clear");
    }

    /// <summary>The asynchronous <see cref="Copy"/>.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The copy.</returns>
    /// <exception cref="NotSupportedException">The manager does not expose <c>copy</c> for lists.</exception>
    public async ValueTask<List<object?>> CopyAsync(CancellationToken cancellationToken = default)
    {
        RequireExposed("copy", "CPython 3.14");
        return (List<object?>)(await CallMethodAsync("copy", cancellationToken: cancellationToken).ConfigureAwait(false))!;
    }
}
