namespace Multiprocess.Tests.Packaging;

/// <summary>
/// The source of the console app that <see cref="PackageConsumerTests"/> builds against the packed packages, as a
/// user would write it: <c>listen KEYHEX</c> serves one CPython <c>Client</c> on a C# <c>Listener</c> (a pickled
/// request in, a pickled reply out); <c>manager ADDRESS KEYHEX</c> uses a dict shared by a CPython manager server.
/// </summary>
internal static class ConsumerProgram
{
    public const string Source = """
        using Multiprocess.Connection;
        using Multiprocess.Managers.Client;
        using Multiprocess.Managers.Client.Proxies;
        using Multiprocess.Pickle;

        switch (args[0])
        {
            case "listen":
            {
                using var listener = new Listener(ConnectionAddress.Parse("127.0.0.1:0"), 1, Convert.FromHexString(args[1]));
                Console.WriteLine("READY " + listener.Address);
                using var conn = listener.Accept(TimeSpan.FromSeconds(60));
                var request = (PyTuple)PickleSerializer.Loads(conn.RecvBytes())!;
                var items = (List<object?>)request[2]!;
                items.Reverse();
                conn.SendBytes(PickleSerializer.Dumps(PyTuple.Create("pong", (long)request[1]! + 1, items)));
                return 0;
            }
            case "manager":
            {
                using var manager = new SyncManager(args[1], Convert.FromHexString(args[2]));
                manager.Connect();
                manager.Register("get_shared", a => new DictProxy(a));
                using var shared = manager.Create<DictProxy>("get_shared");
                var fromPython = (PyTuple)shared["from_python"]!;
                shared["from_csharp"] = PyTuple.Create(fromPython[0], (long)fromPython[1]! * 2, new List<object?> { 2.5, "three", new byte[] { 4 } });
                Console.WriteLine($"DICT {shared.Count} {PyRepr.Repr(shared.Copy())}");
                return 0;
            }
            default:
                Console.Error.WriteLine("usage: consumer listen KEYHEX | manager ADDRESS KEYHEX");
                return 2;
        }
        """;
}
