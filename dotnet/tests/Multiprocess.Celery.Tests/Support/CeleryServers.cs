namespace Multiprocess.Celery.Tests.Support;

/// <summary>The brokers of this test run: started once for all tests (a broker boots slowly), stopped at the end.</summary>
[SetUpFixture]
public sealed class CeleryServers
{
    private static RedisServer? s_redis;

    /// <summary>Gets the run's redis-server.</summary>
    /// <exception cref="InvalidOperationException">It could not start (the reason is in the message).</exception>
    public static RedisServer Redis => s_redis ??= RedisServer.Start();

    /// <summary>Stops the servers.</summary>
    [OneTimeTearDown]
    public void StopServers()
    {
        s_redis?.Dispose();
        s_redis = null;
    }
}
