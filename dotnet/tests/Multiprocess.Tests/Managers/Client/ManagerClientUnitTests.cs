using Multiprocess.Connection;
using Multiprocess.Managers.Client;
using Multiprocess.Managers.Client.Proxies;
using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Tests.ManagerClient;

/// <summary>The pure parts of the manager client: addresses, tokens, tracebacks, array decoding, dill forms.</summary>
public sealed class ManagerClientUnitTests
{
    [Test]
    public void Token_PickledForm_IsNewObjWithTupleState()
    {
        var token = new Token("dict", new InetAddress("127.0.0.1", 5000), "7f00");
        var reduced = token.ToPython(ManagerLibrary.Multiprocess);
        Assert.Multiple(() =>
        {
            Assert.That(reduced.Kind, Is.EqualTo(PyReduceKind.NewObj));
            Assert.That(reduced.Callable, Is.EqualTo(new PyGlobal("multiprocess.managers", "Token")));
            Assert.That(reduced.State, Is.EqualTo(PyTuple.Create("dict", PyTuple.Create("127.0.0.1", 5000L), "7f00")));
            Assert.That(token.ToString(), Is.EqualTo("Token(typeid='dict', address=('127.0.0.1', 5000), id='7f00')"));
            var back = Token.FromPython(PickleSerializer.Loads(PickleSerializer.Dumps(reduced)));
            Assert.That((back.TypeId, back.Address, back.Id), Is.EqualTo(("dict", (ConnectionAddress)new InetAddress("127.0.0.1", 5000), "7f00")));
            Assert.That(() => Token.FromPython(PyTuple.Create(1L)), Throws.ArgumentException.With.Message.Contains("not a manager Token"));
        });
    }

    [Test]
    public void Summarize_ChainedTraceback_PicksFirstExceptionLine()
    {
        const string tb = "Traceback (most recent call last):\n  File \"x\", line 1, in f\n    raise AttributeError(\nAttributeError: method 'x' is not in exposed\n\n"
                          + "During handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n  File \"y\"\nKeyError: 'x'\n";
        Assert.That(ManagerProtocol.Summarize(tb), Is.EqualTo("AttributeError: method 'x' is not in exposed"));
    }

    [Test]
    public void ArrayDecode_AllPickledForms()
    {
        var arrayClass = new PyGlobal("array", "array");
        Assert.Multiple(() =>
        {
            Assert.That(ArrayProxy.Decode(new PyReduce(arrayClass, PyTuple.Create("i", new byte[] { 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff }))), Is.EqualTo(new object?[] { 1L, -1L }));
            Assert.That(ArrayProxy.Decode(new PyReduce(arrayClass, PyTuple.Create("B", new byte[] { 200 }))), Is.EqualTo(new object?[] { 200L }));
            Assert.That(ArrayProxy.Decode(new PyReduce(arrayClass, PyTuple.Create("u", new byte[] { 0x41, 0, 0, 0 }))), Is.EqualTo(new object?[] { "A" }));
            Assert.That(ArrayProxy.Decode(new PyReduce(arrayClass, PyTuple.Create("d", new List<object?> { 1.5 }))), Is.EqualTo(new object?[] { 1.5 }));
            // _array_reconstructor(array, 'h', SIGNED_INT16_BE = 5, b'\xff\xfe')
            Assert.That(ArrayProxy.Decode(new PyReduce(new PyGlobal("array", "_array_reconstructor"), PyTuple.Create(arrayClass, "h", 5L, new byte[] { 0xff, 0xfe }))), Is.EqualTo(new object?[] { -2L }));
            Assert.That(() => ArrayProxy.Decode("x"), Throws.InstanceOf<NotSupportedException>());
        });
    }

    [Test]
    public void DillForms_LoadTypeException_BecomesBuiltin()
    {
        var loadType = new PyReduce(new PyGlobal("dill._dill", "_load_type"), PyTuple.Create("ValueError"));
        var e = (PyException)DillForms.NormalizeException(new PyReduce(loadType, PyTuple.Create("bad")))!;
        Assert.That((e.Type, e.Args), Is.EqualTo((new PyGlobal("builtins", "ValueError"), PyTuple.Create("bad"))));
        Assert.That(e.ToException(), Is.TypeOf<ArgumentException>());
    }
}
