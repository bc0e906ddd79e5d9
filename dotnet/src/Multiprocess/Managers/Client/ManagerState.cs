namespace Multiprocess.Managers.Client;

/// <summary>A manager client's state (CPython's <c>managers.State</c>).</summary>
public enum ManagerState
{
    /// <summary>Not connected yet.</summary>
    Initial,

    /// <summary>Connected (<see cref="BaseManager.Connect"/> succeeded); proxies decref when released.</summary>
    Started,

    /// <summary>The manager was shut down through this client; proxies no longer decref.</summary>
    Shutdown,
}
