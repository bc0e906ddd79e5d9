namespace Multiprocess.Pickle.Tests;

public class PyTypeRegistryTests
{
    private sealed record Point(long X, long Y);

    private static readonly PyGlobal PointClass = new("geometry", "Point");

    private static PyTypeRegistry CreateRegistry()
    {
        var registry = new PyTypeRegistry();
        registry.Register<Point>("geometry", "Point",
            reduce: p => PyReduce.NewObj(PointClass, state: new PyDict { ["x"] = p.X, ["y"] = p.Y }),
            construct: r => new Point((long)((PyDict)r.State!)["x"]!, (long)((PyDict)r.State!)["y"]!));
        return registry;
    }

    [Test]
    public void Dumps_RegisteredType_WritesNewObjAndBuild()
    {
        var bytes = PickleSerializer.Dumps(new Point(1, 2), new PickleOptions { Registry = CreateRegistry() });
        var value = (PyReduce)PickleSerializer.Loads(bytes)!;   // without the registry: the lossless form
        Assert.Multiple(() =>
        {
            Assert.That(value.Kind, Is.EqualTo(PyReduceKind.NewObj));
            Assert.That(value.ClassGlobal, Is.EqualTo(PointClass));
            Assert.That(PyRepr.Repr(value.State), Is.EqualTo("{'x': 1, 'y': 2}"));
        });
    }

    [Test]
    public void Loads_RegisteredClass_ConstructsInstancesKeepingSharing()
    {
        var registry = CreateRegistry();
        var p = new Point(3, 4);
        var bytes = PickleSerializer.Dumps(new List<object?> { p, p, PyTuple.Create(p) }, new PickleOptions { Registry = registry });
        var list = (List<object?>)PickleSerializer.Loads(bytes, new UnpickleOptions { Registry = registry })!;
        Assert.Multiple(() =>
        {
            Assert.That(list[0], Is.EqualTo(new Point(3, 4)));
            Assert.That(list[1], Is.SameAs(list[0]));
            Assert.That(((PyTuple)list[2]!)[0], Is.SameAs(list[0]));
        });
    }

    private abstract class Shape
    {
        public abstract long Size { get; }
    }

    private sealed class Box<T>(long size) : Shape
    {
        public override long Size => size;
    }

    [Test]
    public void Dumps_SubclassOfRegisteredBase_UsesTheBaseBinding()
    {
        // One binding for a generic family (Box<int>, Box<double>…), as sharedctypes' rebuild_ctype needs.
        var registry = new PyTypeRegistry();
        registry.Register<Shape>("geometry", "shape", s => new PyReduce(new PyGlobal("geometry", "shape"), PyTuple.Create(s.Size)), r => new Box<int>((long)r.Args[0]!));
        var bytes = PickleSerializer.Dumps(PyTuple.Create(new Box<int>(1), new Box<double>(2)), new PickleOptions { Registry = registry });
        var raw = (PyTuple)PickleSerializer.Loads(bytes)!;
        Assert.That(
            raw.AsSpan().ToArray().Select(r => (((PyReduce)r!).Callable, ((PyReduce)r!).Args[0])),
            Is.EqualTo(new[] { ((object?)new PyGlobal("geometry", "shape"), (object?)1L), (new PyGlobal("geometry", "shape"), 2L) }));
        Assert.That(((Shape)((PyTuple)PickleSerializer.Loads(bytes, new UnpickleOptions { Registry = registry })!)[1]!).Size, Is.EqualTo(2));
    }

    [Test]
    public void Dumps_UnregisteredClrType_ThrowsPicklingExceptionNamingIt()
    {
        var ex = Assert.Throws<PicklingException>(() => PickleSerializer.Dumps(new Point(1, 2)));
        Assert.That(ex!.Message, Does.Contain("Point").And.Contain("PyTypeRegistry"));
    }

    [Test]
    public void Loads_ConstructThrows_UnpicklingExceptionNamesClass()
    {
        var registry = new PyTypeRegistry();
        registry.Register<Point>("geometry", "Point", p => PyReduce.NewObj(PointClass), r => throw new FormatException("bad state"));
        var bytes = PickleSerializer.Dumps(PyReduce.NewObj(PointClass));
        var ex = Assert.Throws<UnpicklingException>(() => PickleSerializer.Loads(bytes, new UnpickleOptions { Registry = registry }));
        Assert.That(ex!.Message, Does.Contain("geometry.Point").And.Contain("bad state"));
    }

    [Test]
    public void Register_Twice_Throws()
    {
        var registry = CreateRegistry();
        Assert.Throws<ArgumentException>(() => registry.Register<Point>("geometry", "Point", p => PyReduce.NewObj(PointClass), r => new Point(0, 0)));
    }

    [Test]
    public void RegisterException_UserClass_ReadAsPyException()
    {
        var registry = new PyTypeRegistry();
        registry.RegisterException("myapp.errors", "Oops");
        var bytes = PickleSerializer.Dumps(new PyReduce(new PyGlobal("myapp.errors", "Oops"), PyTuple.Create("boom")));
        Assert.Multiple(() =>
        {
            Assert.That(PickleSerializer.Loads(bytes), Is.Not.InstanceOf<PyException>());
            Assert.That(PickleSerializer.Loads(bytes, new UnpickleOptions { Registry = registry }), Is.InstanceOf<PyException>());
        });
    }
}
