using Multiprocess.Connection;

namespace Multiprocess.Cli.Commands;

/// <summary><c>echo connect</c>: one client session.</summary>
internal static partial class EchoCommand
{
    private static int Connect(Options options)
    {
        if (options.Addresses.Count != 1)
        {
            Console.Error.WriteLine($"multiprocess echo connect: expected one address, got {options.Addresses.Count}");
            return 1;
        }

        var address = options.Addresses[0];
        try
        {
            using var connection = Client.Connect(address, options.AuthKey);
            var end = RunSession(connection, out var detail);
            if (end == SessionEnd.UnknownMode)
            {
                Console.Error.WriteLine($"multiprocess echo connect: {detail}");
                return 1;
            }

            return 0;
        }
        catch (AuthenticationException e)
        {
            Console.Error.WriteLine($"multiprocess echo connect: authentication with '{address}' failed: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is IOException or TimeoutException or InvalidOperationException or ObjectDisposedException)
        {
            Console.Error.WriteLine($"multiprocess echo connect: {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }
}
