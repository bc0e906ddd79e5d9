namespace Multiprocess.Celery.Redis;

/// <summary>A Redis server answered a command with an error reply (<c>-ERR ...</c>, <c>-WRONGTYPE ...</c>).</summary>
public sealed class RedisException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="RedisException"/> class.</summary>
    public RedisException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RedisException"/> class.</summary>
    /// <param name="message">The server's error text and the command it answered.</param>
    public RedisException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RedisException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public RedisException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
