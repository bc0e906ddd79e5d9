using System.Collections.Concurrent;

namespace Multiprocess.Celery.Redis;

/// <summary>
/// Connections to one server for short commands, lent one user at a time; a connection left broken by an error is
/// closed instead of returned.
/// </summary>
public sealed class RedisConnectionPool : IDisposable
{
    private readonly ConcurrentBag<RedisConnection> _idle = [];
    private volatile bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="RedisConnectionPool"/> class.</summary>
    /// <param name="endpoint">The server.</param>
    public RedisConnectionPool(RedisEndpoint endpoint) => Endpoint = endpoint;

    /// <summary>Gets the server.</summary>
    public RedisEndpoint Endpoint { get; }

    /// <summary>Gets or sets the connect timeout.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Opens a connection that the caller owns (for blocking reads and subscriptions).</summary>
    /// <returns>The connection.</returns>
    /// <exception cref="IOException">The server cannot be reached.</exception>
    public RedisConnection Open() => RedisConnection.Open(Endpoint, ConnectTimeout);

    /// <summary>Runs commands on a pooled connection.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">The commands.</param>
    /// <returns>What <paramref name="body"/> returns.</returns>
    /// <exception cref="ObjectDisposedException">The pool is disposed.</exception>
    public T Use<T>(Func<RedisConnection, T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_idle.TryTake(out var connection))
        {
            connection = Open();
        }

        try
        {
            return body(connection);
        }
        finally
        {
            if (connection.IsBroken || _disposed)
            {
                connection.Dispose();
            }
            else
            {
                _idle.Add(connection);
            }
        }
    }

    /// <summary>Runs one command on a pooled connection.</summary>
    /// <param name="args">The command.</param>
    /// <returns>The reply.</returns>
    public object? Execute(params object[] args) => Use(c => c.Execute(args));

    /// <summary>Closes the idle connections; lent ones close when returned.</summary>
    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var c))
        {
            c.Dispose();
        }
    }
}
