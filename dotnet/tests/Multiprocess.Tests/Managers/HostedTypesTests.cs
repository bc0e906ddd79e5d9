using Multiprocess.Managers.Client;
using Multiprocess.Managers.Referents;
using Multiprocess.Managers.Server;
using Multiprocess.Pickle;
using Multiprocess.TestUtilities;

namespace Multiprocess.Tests.Managers;

/// <summary>
/// C# objects registered as type ids, called by stock CPython clients of every version through ordinary proxies
/// (AutoProxy), including a method whose result comes back as a new proxy (method_to_typeid).
/// </summary>
public class HostedTypesTests
{
    private const string ClientScript = """
        import sys
        from multiprocessing.managers import BaseManager
        class M(BaseManager):
            pass
        M.register('Counter')
        M.register('Item', create_method=False)
        M.register('Tally')
        path, key = sys.argv[1], bytes.fromhex(sys.argv[2])
        m = M(path, key)
        m.connect()
        c = m.Counter(5)
        out = [c.increment(), c.increment(by=10), c.get_value(), sorted(c._exposed_)]
        item = c.make_item('widget')
        out += [type(item).__name__, item.describe(), item.rename(name='gadget'), item.describe()]
        try:
            c.fail('boom')
        except KeyError as e:
            out.append(('KeyError', e.args))
        try:
            c.increment('not a number')
        except TypeError as e:
            out.append('TypeError')
        t = m.Tally()
        t.add(2); t.add(3)
        out += [t.total(), str(t)]
        print(repr(out))
        """;

    private static readonly byte[] Key = "host key"u8.ToArray();

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.Versions))]
    public void CSharpTypes_AreCalledByStockPythonClients(string version)
    {
        var address = SyncManagerServerTests.AddressFor("unix");
        using var server = new SyncManagerServer(address, Key);
        server.Register("Counter", (args, _) => new Counter(args.Count > 0 ? (long)args[0]! : 0),
            methodToTypeid: new Dictionary<string, string> { ["make_item"] = "Item" });
        server.Register("Item", null);
        server.Register("Tally", (_, _) => new Tally(), exposed: ["add", "total"]);
        server.Start();

        var output = PythonInterpreters.RunScript(PythonInterpreters.Get(version), ClientScript, TimeSpan.FromSeconds(30), [address, Convert.ToHexString(Key)]);

        Assert.That(output.Trim(), Is.EqualTo(
            "[6, 16, 16, ['fail', 'get_value', 'increment', 'make_item', 'make_item'], 'AutoProxy[Item]', 'item widget', None, 'item gadget', "
            + "('KeyError', ('no such thing: boom',)), 'TypeError', 5, 'Tally(5)']"));
        Assert.That(server.NumberOfObjects, Is.EqualTo(0), "every proxy released its reference when the client exited");
    }

    /// <summary>A plain C# class: its public methods become snake_case Python methods.</summary>
    public sealed class Counter(long start)
    {
        private long _value = start;

        public long Increment(long by = 1) => Interlocked.Add(ref _value, by);

        public long GetValue() => Interlocked.Read(ref _value);

        public Item MakeItem(string name) => new(name);

        public void Fail(string what) => throw new KeyNotFoundException($"no such thing: {what}");
    }

    /// <summary>Returned by <see cref="Counter.MakeItem"/> and served as its own proxy.</summary>
    public sealed class Item(string name)
    {
        private string _name = name;

        public string Describe() => "item " + _name;

        public void Rename(string name) => _name = name;
    }

    /// <summary>Full control: implements <see cref="ISharedObject"/>.</summary>
    private sealed class Tally : ISharedObject
    {
        private long _total;

        public object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context) => name switch
        {
            "add" => Interlocked.Add(ref _total, (long)args[0]!) is var _ ? null : null,
            "total" => Interlocked.Read(ref _total),
            _ => throw new PyRaisedException(PyException.Builtin("AttributeError", name)),
        };

        public string Repr() => $"Tally({Interlocked.Read(ref _total)})";
    }
}
