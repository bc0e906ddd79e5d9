namespace Multiprocess.TestUtilities.Connection;

/// <summary>Parameter of fixtures that run every test through both the synchronous and the asynchronous entry points (Npgsql's SyncOrAsyncTestBase).</summary>
public enum SyncOrAsync
{
    Sync,
    Async,
}
