using System.Runtime.InteropServices;
using Multiprocess.Connection;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// <c>echo serve</c>: one accept loop per address, one thread per connection (handshake then a session, with the
/// synchronous API for the lowest latency), until SIGINT or SIGTERM. A failing client is logged and dropped; the
/// server goes on.
/// </summary>
internal sealed partial class EchoCommand
{
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

        var loops = listeners.Select(l => Task.Run(() => AcceptLoopAsync(l, options.AuthKey, stop.Token))).ToArray();
        stop.Token.WaitHandle.WaitOne();
        listeners.ForEach(l => l.Close());
        Task.WaitAll(loops, TimeSpan.FromSeconds(5));
        return 0;
    }

    private static async Task AcceptLoopAsync(Listener listener, byte[]? authKey, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Connection.Connection connection;
            try
            {
                connection = await listener.AcceptUnauthenticatedAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (IOException e)
            {
                // EMFILE and friends: say so, breathe, go on.
                Console.Error.WriteLine($"multiprocess echo serve: {e.Message}");
                await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            var peer = listener.LastAccepted?.ToString() ?? $"a client of {listener.Address}";
            new Thread(() => ServeOne(connection, authKey, peer)) { IsBackground = true, Name = "echo " + peer }.Start();
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
