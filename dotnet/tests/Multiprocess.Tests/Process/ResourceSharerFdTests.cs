using Multiprocess.Connection;
using Multiprocess.Pickle;
using Multiprocess.Processes;

namespace Multiprocess.Tests.Processes;

/// <summary>The addresses a pickled <c>resource_sharer.DupFd</c> carries, as the peers write them.</summary>
[TestFixture]
public sealed class ResourceSharerFdTests
{
    [Test]
    public void AddressFromPython_StrBytesAndTuple()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ResourceSharerFd.AddressFromPython("/tmp/pymp-x/listener-1"), Is.EqualTo(new UnixPathAddress("/tmp/pymp-x/listener-1")));
            Assert.That(ResourceSharerFd.AddressFromPython("\0listener-7-1"), Is.EqualTo(new UnixAbstractAddress("listener-7-1")));

            // multiprocess 0.70.12 keeps getsockname()'s bytes for an abstract name.
            Assert.That(ResourceSharerFd.AddressFromPython("\0listener-3304-1"u8.ToArray()), Is.EqualTo(new UnixAbstractAddress("listener-3304-1")));
            Assert.That(ResourceSharerFd.AddressFromPython("/tmp/l"u8.ToArray()), Is.EqualTo(new UnixPathAddress("/tmp/l")));
            Assert.That(ResourceSharerFd.AddressFromPython(PyTuple.Create("127.0.0.1", 5000L)), Is.EqualTo(new InetAddress("127.0.0.1", 5000)));
            Assert.That(ResourceSharerFd.AddressFromPython(Array.Empty<byte>()), Is.Null);
        });
    }
}
