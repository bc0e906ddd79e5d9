namespace Multiprocess.Reduction;

/// <summary>
/// An fd sent to a forkserver child with its request: CPython's <c>popen_forkserver._DupFd</c> (<c>NEWOBJ</c> + BUILD
/// <c>{'ind': i}</c>), whose <c>detach()</c> in the child is <c>forkserver.get_inherited_fds()[i]</c>.
/// </summary>
/// <param name="Index">The position among the request's extra fds (after child_r, child_w, alive_w, tracker_fd).</param>
internal sealed record ForkServerFd(int Index);
