namespace Multiprocess.Reduction;

/// <summary>
/// An fd a spawned child inherits at a known number: CPython's <c>popen_spawn_posix._DupFd</c>
/// (<c>NEWOBJ</c> + BUILD <c>{'fd': N}</c>), whose <c>detach()</c> returns the number.
/// </summary>
/// <param name="Fd">The fd number (the same in parent and child).</param>
internal sealed record InheritedFd(int Fd);
