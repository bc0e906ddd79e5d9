namespace Multiprocess.Pickle.Tests;

public class PyExceptionTests
{
    [TestCase("builtins", "KeyError", typeof(KeyNotFoundException))]
    [TestCase("builtins", "ValueError", typeof(ArgumentException))]
    [TestCase("builtins", "IndexError", typeof(ArgumentOutOfRangeException))]
    [TestCase("builtins", "StopIteration", typeof(InvalidOperationException))]
    [TestCase("builtins", "TimeoutError", typeof(TimeoutException))]
    [TestCase("_queue", "Empty", typeof(TimeoutException))]
    [TestCase("queue", "Full", typeof(TimeoutException))]
    [TestCase("builtins", "FileNotFoundError", typeof(FileNotFoundException))]
    [TestCase("builtins", "EOFError", typeof(EndOfStreamException))]
    [TestCase("builtins", "NotImplementedError", typeof(NotImplementedException))]
    [TestCase("multiprocessing.managers", "RemoteError", typeof(PyRaisedException))]
    public void ToException_KnownClass_NaturalDotNetException(string module, string name, Type expected)
    {
        var value = PyException.Create(module, name, "why");
        var ex = value.ToException();
        Assert.Multiple(() =>
        {
            Assert.That(ex, Is.InstanceOf(expected));
            Assert.That(PyException.FromException(ex), Is.SameAs(value));
        });
    }

    [Test]
    public void Message_KeyErrorAndOthers_AsPythonStr()
    {
        Assert.Multiple(() =>
        {
            Assert.That(PyException.Builtin("KeyError", "x").Message, Is.EqualTo("'x'"));
            Assert.That(PyException.Builtin("ValueError", "x").Message, Is.EqualTo("x"));
            Assert.That(PyException.Builtin("ValueError", "a", 1L).Message, Is.EqualTo("('a', 1)"));
            Assert.That(PyException.Create("_queue", "Empty").Message, Is.EqualTo(""));
            Assert.That(PyException.Builtin("KeyError", "x").ToException().Message, Is.EqualTo("KeyError: 'x'"));
        });
    }

    [Test]
    public void FromException_PlainDotNet_MapsByType()
    {
        Assert.Multiple(() =>
        {
            Assert.That(PyException.FromException(new KeyNotFoundException("k")).TypeName, Is.EqualTo("KeyError"));
            Assert.That(PyException.FromException(new TimeoutException()).TypeName, Is.EqualTo("TimeoutError"));
            Assert.That(PyException.FromException(new InvalidOperationException("x")).TypeName, Is.EqualTo("RuntimeError"));
            Assert.That(PyException.FromException(new Exception("x")).TypeName, Is.EqualTo("Exception"));
        });
    }

    [Test]
    public void Dumps_ManagerErrorReply_SameBytesAsCPython()
    {
        // ('#ERROR', KeyError('x')) as CPython 3.8–3.13 pickle it (golden vector manager_error, protocol 4).
        var bytes = PickleSerializer.Dumps(PyTuple.Create("#ERROR", PyException.Builtin("KeyError", "x")));
        Assert.That(Convert.ToHexString(bytes), Is.EqualTo(
            "8004952C000000000000008C06234552524F52948C086275696C74696E73948C084B65794572726F729493948C0178948594529486942E"));
    }

    [Test]
    public void FromReduce_UserExceptionClass_ReadsTypeAndArgs()
    {
        var r = new PyReduce(new PyGlobal("app", "MyError"), PyTuple.Create("m"));
        var e = PyException.FromReduce(r);
        Assert.Multiple(() =>
        {
            Assert.That(e.Type.FullName, Is.EqualTo("app.MyError"));
            Assert.That(e.ToException(), Is.InstanceOf<PyRaisedException>());
        });
    }
}
