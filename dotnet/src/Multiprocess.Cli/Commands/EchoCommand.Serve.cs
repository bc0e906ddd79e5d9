using System.Runtime.InteropServices;
using Multiprocess.Connection;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// <c>echo serve</c>: one accept thread per address (blocking accept(2): no epoll hop), each connection's handshake
/// and session on a thread of its own with the synchronous API (lowest latency), until SIGINT or SIGTERM. A failing
/// client is logged and dropped; the server goes on. Sessions block their thread: the first 64 at a time run on pool
/// threads, kept ready up front (starting a thread cost 0.3–0.7 ms per connection here; a pool thread is reused), any
/// beyond that on new threads, since the pool adds threads only slowly once all of them block.
/// </summary>
internal static partial class EchoCommand
{
    private const int MinSessionThreads = 64;
    private static int s_activeSessions;

    private static int Serve(Options options)
    {
        var listeners = new List<Listener>();
        try
        {
            foreach (var address in options.Addresses)
            {
                listeners.Add(new Listener(address, options.Backlog));
            }
        }
        catch (Exception e) when (e is IOException or ArgumentException)
        {
            Console.Error.WriteLine($"multiprocess echo serve: {e.Message}");
            listeners.ForEach(l => l.Close());
            return 1;
        }

        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, MinSessionThreads), io);

        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        Console.Out.WriteLine("READY " + string.Join(",", listeners.Select(l => l.Address.ToString())));
        Console.Out.Flush();

        var loops = listeners.Select(l => new Thread(() => AcceptLoop(l, options.AuthKey)) { IsBackground = true, Name = "accept " + l.Address }).ToList();
        loops.ForEach(t => t.Start());
        stop.Token.WaitHandle.WaitOne();
        listeners.ForEach(l => l.Close());
        loops.ForEach(t => t.Join(TimeSpan.FromSeconds(5)));
        return 0;
    }

    private static void AcceptLoop(Listener listener, byte[]? authKey)
    {
        while (!listener.Closed)
        {
            Connection.Connection connection;
            try
            {
                // No key on the Listener: the handshake runs on the session's thread, so a slow client holds up
                // only itself.
                connection = listener.Accept();
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (IOException e)
            {
                // EMFILE and friends: say so, breathe, go on.
                Console.Error.WriteLine($"multiprocess echo serve: {e.Message}");
                Thread.Sleep(50);
                continue;
            }

            var peer = listener.LastAccepted?.ToString() ?? $"a client of {listener.Address}";
            if (Interlocked.Increment(ref s_activeSessions) <= MinSessionThreads)
            {
                ThreadPool.UnsafeQueueUserWorkItem(_ => ServeOne(connection, authKey, peer), null);
            }
            else
            {
                new Thread(() => ServeOne(connection, authKey, peer)) { IsBackground = true, Name = "echo " + peer }.Start();
            }
        }
    }
    private static void ServeOne(Connection.Connection connection, byte[]? authKey, string peer)
    {
        try
        {
            if (authKey is not null)
            {
                Authentication.AuthenticateAsServer(connection, authKey);
            }

            if (RunSession(connection, out var detail) == SessionEnd.UnknownMode)
            {
                Console.Error.WriteLine($"multiprocess echo serve: {peer}: {detail}; closing");
            }
        }
        catch (AuthenticationException e)
        {
            Console.Error.WriteLine($"multiprocess echo serve: {peer}: authentication failed: {e.Message}");
        }
        catch (Exception e) when (e is IOException or TimeoutException or InvalidOperationException or ObjectDisposedException)
        {
            Console.Error.WriteLine($"multiprocess echo serve: {peer}: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            connection.Close();
            Interlocked.Decrement(ref s_activeSessions);
        }
    }
}
