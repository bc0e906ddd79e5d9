using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using Multiprocess.Connection;
using Multiprocess.Internal;
using Multiprocess.Managers.Hosting;
using Multiprocess.Managers.Server;
using Multiprocess.Pickle;

namespace Multiprocess.Interop;

/// <summary>
/// The verbs of <see cref="EntryPoints.Call"/>: each request is a tuple <c>(verb, *args)</c> pickled by the shim
/// (<c>python/multiprocess_dotnet/_engine.py</c> is the other half of this table).
/// </summary>
internal static class ControlRequests
{
    private static readonly ConcurrentDictionary<long, ManagerHost> s_servers = new();
    private static long s_nextHandle;

    /// <summary>
    /// Gets or sets the interpreter that runs the type ids registered with a Python callable: the shim's own (the
    /// server runs inside it), or the owner of a server process (<see cref="ServerProcess"/>).
    /// </summary>
    public static IPythonRunner Python { get; set; } = InProcessPython.Instance;

    /// <summary>Gets the unpickling options for requests: they come from the hosting process itself, so trusted.</summary>
    public static UnpickleOptions UnpickleOptions { get; } = new() { Security = PickleSecurity.Trusted };

    /// <exception cref="ArgumentException">Unknown verb or malformed arguments; the message names them.</exception>
    public static object? Dispatch(object? request)
    {
        if (request is not PyTuple { Count: > 0 } r || r[0] is not string verb)
        {
            throw new ArgumentException($"A control request is a tuple (verb, *args); got {PyRepr.Repr(request)}");
        }

        return verb switch
        {
            "version" => typeof(ControlRequests).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0",
            "server_open" => ServerOpen(r),
            "server_new" => ServerNew(r),
            "server_register" => ServerRegister(r),
            "server_start" => ServerStart(r),
            "server_wait" => Host(r).Server.WaitForShutdown(TimeSpan.FromSeconds(Arg<double>(r, 2))),
            "server_info" => ServerInfo(Host(r)),
            "server_shutdown" => ServerShutdown(r),
            "servers_shutdown_all" => ShutdownAll(),
            _ => throw new ArgumentException($"Unknown control verb '{verb}'"),
        };
    }

    // ('server_open', address_text | None, authkey, shared_memory, backlog, log_path | None, registrations, registry)
    //   → (handle, address)
    // server_new, one server_register per (typeid, creatable, exposed, method_to_typeid) of registrations, and
    // server_start in one request: a manager's start is one round trip to a server process, not 2 + N. The Python
    // callables are filed under `registry` (the shim's key, filed before this request: a client may ask for one as
    // soon as the server listens).
    private static PyTuple ServerOpen(PyTuple r)
    {
        var registrations = Arg<IEnumerable<object?>>(r, 6);
        var handle = ServerNew(r, Arg<long>(r, 7));
        try
        {
            foreach (var registration in registrations)
            {
                if (registration is not PyTuple { Count: 4 } reg)
                {
                    throw new ArgumentException($"'server_open' registrations are (typeid, creatable, exposed, method_to_typeid); got {PyRepr.Repr(registration)}");
                }

                ServerRegister(PyTuple.Create(["server_register", handle, reg[0], reg[1], reg[2], reg[3]]));
            }

            return PyTuple.Create(handle, ServerStart(PyTuple.Create("server_start", handle)));
        }
        catch
        {
            ServerShutdown(PyTuple.Create("server_shutdown", handle));
            throw;
        }
    }

    // ('server_new', address_text | None, authkey: bytes, shared_memory: bool, backlog: int, log_path | None) → handle
    private static long ServerNew(PyTuple r, long? registry = null)
    {
        var addressText = Arg<string?>(r, 1);
        var options = new SyncManagerServerOptions
        {
            SharedMemory = Arg<bool>(r, 3),
            Backlog = checked((int)Arg<long>(r, 4)),
        };
        if (SpinFromEnvironment() is { } spin)
        {
            // Poll for a proxy's next request this long before blocking (a blocked thread takes ~20 µs to wake here,
            // most of a call's time at 1 worker: docs/native.md, "At 1 worker"). The serving loop polls first only
            // while it keeps a thread per connection: with a finite ParkAfter it waits in one recv(2) under
            // SO_RCVTIMEO instead.
            options.SpinDuration = spin;
            options.ParkAfter = Timeout.InfiniteTimeSpan;
        }

        if (Arg<string?>(r, 5) is { Length: > 0 } logPath)
        {
            options.Logger = new TextWriterLogger(new StreamWriter(logPath, append: true) { AutoFlush = true });
        }

        var address = addressText is null ? null : ConnectionAddress.Parse(addressText);
        var handle = Interlocked.Increment(ref s_nextHandle);
        var host = new ManagerHost(handle, registry ?? handle, address, Arg<byte[]>(r, 2), options, Python);
        s_servers[handle] = host;
        return handle;
    }

    /// <summary><c>MULTIPROCESS_DOTNET_SPIN_US</c>: a positive number of microseconds, else none (the default: block at once).</summary>
    /// <exception cref="ArgumentException">The variable is set to something else.</exception>
    private static TimeSpan? SpinFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("MULTIPROCESS_DOTNET_SPIN_US");
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var us)
            ? us > 0 ? TimeSpan.FromMicroseconds(us) : null
            : throw new ArgumentException($"MULTIPROCESS_DOTNET_SPIN_US={PyRepr.Repr(text)}: expected a number of microseconds");
    }

    // ('server_register', handle, typeid, creatable: bool, exposed: tuple | None, method_to_typeid: dict | None) → None
    private static object? ServerRegister(PyTuple r)
    {
        var host = Host(r);
        var exposed = r[4] switch
        {
            null => null,
            IEnumerable<object?> names => names.Select(n => n as string ?? throw new ArgumentException($"exposed names are str; got {PyRepr.Repr(n)}")).ToArray(),
            var other => throw new ArgumentException($"exposed must be a sequence of str or None; got {PyRepr.Repr(other)}"),
        };
        Dictionary<string, string>? methodToTypeid = null;
        if (r[5] is PyDict map)
        {
            methodToTypeid = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (k, v) in map)
            {
                methodToTypeid[k as string ?? throw new ArgumentException($"method_to_typeid keys are str; got {PyRepr.Repr(k)}")] =
                    v as string ?? throw new ArgumentException($"method_to_typeid values are str; got {PyRepr.Repr(v)}");
            }
        }

        host.RegisterPython(Arg<string>(r, 2), Arg<bool>(r, 3), exposed, methodToTypeid);
        return null;
    }

    // ('server_start', handle) → the bound address in Python's form
    private static object ServerStart(PyTuple r)
    {
        var host = Host(r);
        host.Server.Start();
        return host.PythonAddress();
    }

    // ('server_shutdown', handle) → None; the handle is forgotten
    private static object? ServerShutdown(PyTuple r)
    {
        if (s_servers.TryRemove(Arg<long>(r, 1), out var host))
        {
            host.Dispose();
        }

        return null;
    }

    private static long ShutdownAll()
    {
        var count = 0L;
        foreach (var handle in s_servers.Keys)
        {
            if (s_servers.TryRemove(handle, out var host))
            {
                host.Dispose();
                count++;
            }
        }

        return count;
    }

    private static PyDict ServerInfo(ManagerHost host)
    {
        var info = new PyDict
        {
            ["address"] = host.PythonAddress(),
            ["number_of_objects"] = (long)host.Server.NumberOfObjects,
            ["active_connections"] = (long)host.Server.ActiveConnections,
            ["stopped"] = host.Server.IsStopped,
        };
        return info;
    }

    /// <summary>The server with <paramref name="handle"/>, or null (shut down, or never made).</summary>
    public static ManagerHost? Find(long handle) => s_servers.TryGetValue(handle, out var host) ? host : null;

    private static ManagerHost Host(PyTuple r)
    {
        var handle = Arg<long>(r, 1);
        return s_servers.TryGetValue(handle, out var host)
            ? host
            : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"No manager server has handle {handle} (shut down already?)"));
    }

    private static T Arg<T>(PyTuple r, int index)
    {
        if (index >= r.Count)
        {
            throw new ArgumentException($"'{r[0]}' needs at least {index} arguments; got {r.Count - 1}");
        }

        var value = r[index];
        if (value is T t)
        {
            return t;
        }

        if (value is null && default(T) is null)
        {
            return default!;
        }

        if (typeof(T) == typeof(double) && value is long l)
        {
            return (T)(object)(double)l;
        }

        throw new ArgumentException($"'{r[0]}' argument {index} should be {typeof(T).Name}; got {PyRepr.Repr(value)}");
    }
}
