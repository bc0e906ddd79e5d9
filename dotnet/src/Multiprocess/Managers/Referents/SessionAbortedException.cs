namespace Multiprocess.Managers.Referents;

/// <summary>
/// Ends a blocking call whose client has hung up or whose server is stopping: nobody is left to receive the reply,
/// so the serving thread unwinds without touching the shared object (a dead client never takes a queue item or a
/// lock it could not use).
/// </summary>
internal sealed class SessionAbortedException : Exception
{
    public SessionAbortedException()
        : base("the client connection was closed or the server is stopping")
    {
    }

    public SessionAbortedException(string message)
        : base(message)
    {
    }

    public SessionAbortedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
