namespace Multiprocess.Managers.Referents;

/// <summary>
/// A shared object that hands a client something it then no longer holds (a Queue's item): if the reply carrying
/// it cannot be sent (the client hung up, or left it unread beyond the stall limit), the session gives it back
/// (<see cref="SharedCallContext.GiveBackTaken"/>) so that no queued item is lost with a dead client.
/// </summary>
internal interface IGivesBack
{
    /// <summary>Puts <paramref name="taken"/> back where it was taken from (a Queue: at its front).</summary>
    void GiveBack(object? taken);
}
