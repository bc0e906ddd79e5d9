using System.Runtime.InteropServices;
using Multiprocess.Connection;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// <c>echo serve</c>: per address two threads wait in accept(2) (blocking: no epoll hop), and the one that accepts a
/// connection runs its handshake and session itself with the synchronous API, so a connection costs no hand-over to
/// another thread (a thread-pool hop on the way to the challenge); the other takes the next connection meanwhile, and
/// a thread that was the last one waiting starts another first, so a slow client holds up only itself. Runs until
/// SIGINT or SIGTERM; a failing client is logged and dropped. Sessions block their thread: the first 64 at a time run
/// on pool threads, kept ready up front (starting a thread cost 0.3–0.7 ms per connection here), any beyond that on
/// new threads, since the pool adds threads only slowly once all of them block.
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

        var acceptors = listeners.Select(l => new Acceptors(l, options.AuthKey)).ToList();
        foreach (var a in acceptors)
        {
            for (var i = 0; i < Acceptors.Count; i++)
            {
                a.Start();
            }
        }

        stop.Token.WaitHandle.WaitOne();
        listeners.ForEach(l => l.Close());
        return 0;
    }

    /// <summary>The threads that wait in accept(2) on one listener; each serves what it accepts.</summary>
    private sealed class Acceptors(Listener listener, byte[]? authKey)
    {
        /// <summary>How many threads wait in accept(2) at once: one serves while the other waits for the next client.</summary>
        public const int Count = 2;

        private int _waiting;

        /// <summary>Puts one more thread in accept(2): a pool thread for the first sessions, then new threads.</summary>
        public void Start()
        {
            Interlocked.Increment(ref _waiting);
            if (Interlocked.Increment(ref s_activeSessions) <= MinSessionThreads)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static a => a.Run(), this, preferLocal: false);
            }
            else
            {
                new Thread(Run) { IsBackground = true, Name = "accept " + listener.Address }.Start();
            }
        }

        /// <summary>Accepts and serves until the listener closes, or until enough others wait in accept(2).</summary>
        private void Run()
        {
            try
            {
                while (!listener.Closed)
                {
                    Connection.Connection connection;
                    try
                    {
                        // No key on the Listener: the handshake runs in ServeOne, after another thread took this
                        // one's place in accept(2).
                        connection = listener.Accept();
                    }
                    catch (ObjectDisposedException)
                    {
                        return;
                    }
                    catch (IOException e)
                    {
                        // EMFILE and friends: say so, breathe, go on (still one of the waiting threads).
                        Console.Error.WriteLine($"multiprocess echo serve: {e.Message}");
                        Thread.Sleep(50);
                        continue;
                    }

                    if (Interlocked.Decrement(ref _waiting) == 0)
                    {
                        Start();  // this thread will be busy with its client: another one waits for the next
                    }

                    ServeOne(connection, authKey, listener.LastAccepted?.ToString() ?? $"a client of {listener.Address}");
                    if (Interlocked.Increment(ref _waiting) > Count)
                    {
                        Interlocked.Decrement(ref _waiting);
                        return;
                    }
                }
            }
            finally
            {
                Interlocked.Decrement(ref s_activeSessions);
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
        }
    }
}
