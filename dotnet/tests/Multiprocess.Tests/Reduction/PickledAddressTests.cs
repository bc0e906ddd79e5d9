using Multiprocess.Connection;
using Multiprocess.Pickle;
using Multiprocess.Reduction;

namespace Multiprocess.Tests.Reduction;

/// <summary>The address forms a pickle carries (a manager's token, a <c>resource_sharer.DupFd</c>), as the peers write them.</summary>
[TestFixture]
public sealed class PickledAddressTests
{
    [Test]
    public void EveryFamily_RoundTripsPythonForm()
    {
        Assert.Multiple(() =>
        {
            Assert.That(PickledAddress.ToPython(new InetAddress("127.0.0.1", 5000)), Is.EqualTo(PyTuple.Create("127.0.0.1", 5000L)));
            Assert.That(PickledAddress.ToPython(new UnixPathAddress("/tmp/x/listener")), Is.EqualTo("/tmp/x/listener"));
            Assert.That(PickledAddress.ToPython(new UnixAbstractAddress("listener-1-0")), Is.EqualTo("\0listener-1-0"u8.ToArray()));
            Assert.That(PickledAddress.FromPython("\0listener-1-0"u8.ToArray()), Is.EqualTo(new UnixAbstractAddress("listener-1-0")));
            Assert.That(PickledAddress.FromPython("\0name"), Is.EqualTo(new UnixAbstractAddress("name")));
            Assert.That(PickledAddress.FromPython(PyTuple.Create("::1", 7L, 0L, 0L)), Is.EqualTo(new InetAddress("::1", 7)));
            Assert.That(() => PickledAddress.FromPython(12L), Throws.ArgumentException.With.Message.Contains("12 is not a connection address"));
        });
    }

    [Test]
    public void TryFromPython_StrBytesAndTuple()
    {
        Assert.Multiple(() =>
        {
            Assert.That(PickledAddress.TryFromPython("/tmp/pymp-x/listener-1"), Is.EqualTo(new UnixPathAddress("/tmp/pymp-x/listener-1")));
            Assert.That(PickledAddress.TryFromPython("\0listener-7-1"), Is.EqualTo(new UnixAbstractAddress("listener-7-1")));

            // multiprocess 0.70.12 keeps getsockname()'s bytes for an abstract name.
            Assert.That(PickledAddress.TryFromPython("\0listener-3304-1"u8.ToArray()), Is.EqualTo(new UnixAbstractAddress("listener-3304-1")));
            Assert.That(PickledAddress.TryFromPython("/tmp/l"u8.ToArray()), Is.EqualTo(new UnixPathAddress("/tmp/l")));
            Assert.That(PickledAddress.TryFromPython(PyTuple.Create("127.0.0.1", 5000L)), Is.EqualTo(new InetAddress("127.0.0.1", 5000)));
            Assert.That(PickledAddress.TryFromPython(Array.Empty<byte>()), Is.Null);
        });
    }
}
