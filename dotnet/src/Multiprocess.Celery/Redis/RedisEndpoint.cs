using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Multiprocess.Celery.Redis;

/// <summary>
/// Where a Redis server is, from a Celery broker/backend URL: <c>redis://[[user]:password@]host[:port][/db]</c> or
/// <c>redis+socket:///path/to/socket[?virtual_host=db]</c> (kombu's spellings).
/// </summary>
public sealed class RedisEndpoint
{
    private RedisEndpoint(EndPoint endPoint, int database, string? user, string? password, string display)
    {
        EndPoint = endPoint;
        Database = database;
        User = user;
        Password = password;
        Display = display;
    }

    /// <summary>Gets the socket address.</summary>
    public EndPoint EndPoint { get; }

    /// <summary>Gets the database number (SELECT); also part of kombu's fanout channel names (<c>/{db}.</c>).</summary>
    public int Database { get; }

    /// <summary>Gets the ACL user, if any.</summary>
    public string? User { get; }

    /// <summary>Gets the password, if any.</summary>
    public string? Password { get; }

    /// <summary>Gets the address without credentials, for messages.</summary>
    public string Display { get; }

    /// <summary>Parses a URL.</summary>
    /// <param name="url">The URL.</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="FormatException">Not a redis URL.</exception>
    public static RedisEndpoint Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.StartsWith("redis+socket://", StringComparison.Ordinal) || url.StartsWith("unix://", StringComparison.Ordinal))
        {
            var rest = url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..];
            var q = rest.IndexOf('?', StringComparison.Ordinal);
            var path = q < 0 ? rest : rest[..q];
            var db = 0;
            if (q >= 0)
            {
                foreach (var pair in rest[(q + 1)..].Split('&'))
                {
                    var kv = pair.Split('=', 2);
                    if (kv.Length == 2 && kv[0] is "virtual_host" or "db" && !int.TryParse(kv[1], CultureInfo.InvariantCulture, out db))
                    {
                        throw new FormatException($"redis URL '{url}': database '{kv[1]}' is not a number");
                    }
                }
            }

            if (path.Length == 0)
            {
                throw new FormatException($"redis URL '{url}' names no socket path");
            }

            return new RedisEndpoint(new UnixDomainSocketEndPoint(path), db, null, null, "unix:" + path);
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("redis" or "rediss"))
        {
            throw new FormatException($"'{url}' is not a redis URL (redis://host:port/db or redis+socket:///path)");
        }

        if (uri.Scheme == "rediss")
        {
            throw new FormatException($"redis URL '{url}': TLS (rediss://) is not supported");
        }

        string? user = null, password = null;
        if (uri.UserInfo.Length > 0)
        {
            var parts = Uri.UnescapeDataString(uri.UserInfo).Split(':', 2);
            if (parts.Length == 2)
            {
                user = parts[0].Length > 0 ? parts[0] : null;
                password = parts[1];
            }
            else
            {
                password = parts[0];
            }
        }

        var database = 0;
        var dbText = uri.AbsolutePath.Trim('/');
        if (dbText.Length > 0 && !int.TryParse(dbText, CultureInfo.InvariantCulture, out database))
        {
            throw new FormatException($"redis URL '{url}': database '{dbText}' is not a number");
        }

        var host = uri.Host.Trim('[', ']');
        var port = uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port;
        EndPoint ep = IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port);
        return new RedisEndpoint(ep, database, user, password, $"redis://{uri.Host}:{port}/{database}");
    }

    /// <inheritdoc/>
    public override string ToString() => Display;
}
