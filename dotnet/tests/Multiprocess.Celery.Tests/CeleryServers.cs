using Multiprocess.Celery.Tests.Support;

namespace Multiprocess.Celery.Tests;

/// <summary>
/// The brokers of this test run: started once for all tests (a broker boots slowly), stopped at the end. In the
/// tests' root namespace, so that NUnit runs its teardown after every fixture; stopped at process exit too, should
/// the run be aborted.
/// </summary>
[SetUpFixture]
public sealed class CeleryServers
{
    private static readonly Lock s_lock = new();
    private static RedisServer? s_redis;
    private static RabbitServer? s_rabbit;

    /// <summary>Gets the run's rabbitmq-server.</summary>
    /// <exception cref="InvalidOperationException">It could not start (the reason is in the message).</exception>
    public static RabbitServer Rabbit
    {
        get
        {
            lock (s_lock)
            {
                if (s_rabbit is null)
                {
                    s_rabbit = RabbitServer.Start();
                    AppDomain.CurrentDomain.ProcessExit += (_, _) => s_rabbit?.Dispose();
                }

                return s_rabbit;
            }
        }
    }

    /// <summary>Gets the run's redis-server.</summary>
    /// <exception cref="InvalidOperationException">It could not start (the reason is in the message).</exception>
    public static RedisServer Redis
    {
        get
        {
            if (s_redis is null)
            {
                s_redis = RedisServer.Start();
                AppDomain.CurrentDomain.ProcessExit += (_, _) => s_redis?.Dispose();
            }

            return s_redis;
        }
    }

    /// <summary>Stops the servers.</summary>
    [OneTimeTearDown]
    public void StopServers()
    {
        s_redis?.Dispose();
        s_redis = null;
        s_rabbit?.Dispose();
        s_rabbit = null;
    }
}
