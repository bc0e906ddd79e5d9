using System.Runtime.InteropServices;

namespace Multiprocess.Internal;

/// <summary>
/// An mmap'd region, unmapped when the last user lets go: <see cref="SafeHandle"/> reference counting keeps a pinned
/// <c>Memory&lt;byte&gt;</c> valid after <c>Close()</c>, the way CPython refuses to close an mmap with live exports.
/// </summary>
internal sealed class MappingHandle : SafeHandle
{
    public MappingHandle(IntPtr address, long length)
        : base(LibcShm.MapFailed, ownsHandle: true)
    {
        SetHandle(address);
        Length = length;
    }

    /// <summary>Gets the mapped length in bytes.</summary>
    public long Length { get; }

    public override bool IsInvalid => handle == LibcShm.MapFailed || handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => LibcShm.Munmap(handle, (nuint)Length) == 0;
}
