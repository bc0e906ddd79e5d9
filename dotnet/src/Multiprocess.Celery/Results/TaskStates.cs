namespace Multiprocess.Celery.Results;

/// <summary>Celery's task states (celery/states.py), as stored in the result backend's <c>status</c>.</summary>
public static class TaskStates
{
    /// <summary>Unknown to the backend: waiting, or never sent.</summary>
    public const string Pending = "PENDING";

    /// <summary>A worker received it (reported when task_track_started is on).</summary>
    public const string Started = "STARTED";

    /// <summary>Done; the result is the return value.</summary>
    public const string Success = "SUCCESS";

    /// <summary>Raised; the result is the exception.</summary>
    public const string Failure = "FAILURE";

    /// <summary>Scheduled to run again; the result is the reason.</summary>
    public const string Retry = "RETRY";

    /// <summary>Revoked or expired before it ran.</summary>
    public const string Revoked = "REVOKED";

    /// <summary>Returns whether a state is final (celery.states.READY_STATES).</summary>
    /// <param name="state">The state.</param>
    /// <returns><see langword="true"/> for SUCCESS, FAILURE and REVOKED.</returns>
    public static bool IsReady(string state) => state is Success or Failure or Revoked;

    /// <summary>Returns whether a state carries an exception (celery.states.EXCEPTION_STATES).</summary>
    /// <param name="state">The state.</param>
    /// <returns><see langword="true"/> for FAILURE, RETRY and REVOKED.</returns>
    public static bool IsException(string state) => state is Failure or Retry or Revoked;
}
