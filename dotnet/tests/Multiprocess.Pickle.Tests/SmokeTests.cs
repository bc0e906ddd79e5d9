namespace Multiprocess.Pickle.Tests;

public class PickleSerializerTests
{
    [Test]
    public void Dumps_ManagerCreateRequest_MatchesSpecBytes()
    {
        var bytes = PickleSerializer.Dumps(PyTuple.Create(null, "create", PyTuple.Create("dict"), new PyDict()));
        Assert.That(Convert.ToHexString(bytes).ToLowerInvariant(),
            Is.EqualTo("8004951900000000000000284e8c06637265617465948c04646963749485947d9474942e"));
    }

    [Test]
    public void Loads_ManagerCreateRequest_GivesTuple()
    {
        var bytes = Convert.FromHexString("8004951900000000000000284e8c06637265617465948c04646963749485947d9474942e");
        var value = PickleSerializer.Loads(bytes);
        Assert.That(PyRepr.Repr(value), Is.EqualTo("(None, 'create', ('dict',), {})"));
    }
}
