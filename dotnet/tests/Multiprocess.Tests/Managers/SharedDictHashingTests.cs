using System.Numerics;
using Multiprocess.Pickle;

namespace Multiprocess.Tests.Managers;

/// <summary>
/// The server's shared dict with keys a hostile client picks to collide (the hashing itself is tested in
/// Multiprocess.Pickle.Tests/HashingTests; its cost is the <c>hashing</c> benchmark suite): every key is kept and
/// found, and NaN keys follow CPython 3.10+, where each unpickled NaN is a new object and so a new key.
/// </summary>
public class SharedDictHashingTests
{
    private ServerHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new ServerHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    [Test]
    public void Update_CraftedCollidingIntKeys_EveryKeyStoredAndFound()
    {
        var c = _h.NewClient();
        var d = _h.Create("dict");
        var crafted = new PyDict();
        for (long i = 0; i < 100_000; i++)
        {
            crafted[i * ((1L << 32) + 1)] = i;
            crafted[(BigInteger)i * ((1L << 61) - 1) + 1] = -i;
        }

        // What the client's pickle carries: fresh key objects, as the server would unpickle them.
        var sent = (PyDict)PickleSerializer.Loads(PickleSerializer.Dumps(crafted))!;
        _h.Return(c, d, "update", sent);
        Assert.Multiple(() =>
        {
            Assert.That(_h.Return(c, d, "__len__"), Is.EqualTo(200_000L));
            Assert.That(_h.Return(c, d, "__getitem__", 99_999L * ((1L << 32) + 1)), Is.EqualTo(99_999L));
            Assert.That(_h.Return(c, d, "__getitem__", (BigInteger)77_777 * ((1L << 61) - 1) + 1), Is.EqualTo(-77_777L));
            Assert.That(_h.Return(c, d, "__contains__", (1L << 32) + 2), Is.EqualTo(false));
        });
    }

    [Test]
    public void SetItem_NaNKeyTwice_TwoKeysAsInCPython310()
    {
        var c = _h.NewClient();
        var d = _h.Create("dict");
        _h.Return(c, d, "__setitem__", double.NaN, 1L);
        _h.Return(c, d, "__setitem__", double.NaN, 2L);
        _h.Return(c, d, "__setitem__", 1.0, "one");
        _h.Return(c, d, "__setitem__", true, "true");
        Assert.That(_h.Return(c, d, "__len__"), Is.EqualTo(3L));
        Assert.That(_h.Return(c, d, "__getitem__", 1L), Is.EqualTo("true"));
    }
}
