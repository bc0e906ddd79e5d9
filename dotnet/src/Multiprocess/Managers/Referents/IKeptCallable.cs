namespace Multiprocess.Managers.Referents;

/// <summary>
/// A Python callable the server keeps where it can run it (a Barrier's action, kept in the server's Python
/// interpreter): called by the last party to arrive, released with the referent that holds it. Referents see only
/// this, not the host that runs it, so they do not depend on <c>Managers/Hosting/</c>.
/// </summary>
internal interface IKeptCallable : IDisposable
{
    /// <summary>Calls the object itself: <c>obj()</c>.</summary>
    object? Call(SharedCallContext? context);
}
