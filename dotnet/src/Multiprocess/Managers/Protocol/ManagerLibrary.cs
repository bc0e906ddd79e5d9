namespace Multiprocess.Managers.Protocol;

/// <summary>
/// Which Python package runs the manager: CPython's <c>multiprocessing</c> or the dill-based <c>multiprocess</c>.
/// The wire protocol is the same; the names inside pickles differ (<c>multiprocessing.managers.Token</c> versus
/// <c>multiprocess.managers.Token</c>, protocols.md §10), and a proxy sent to the manager must name the classes its
/// package can import.
/// </summary>
public enum ManagerLibrary
{
    /// <summary>CPython's <c>multiprocessing</c> (3.8–3.13).</summary>
    Multiprocessing,

    /// <summary>The <c>multiprocess</c> package (dill pickles, abstract AF_UNIX addresses by default).</summary>
    Multiprocess,
}
