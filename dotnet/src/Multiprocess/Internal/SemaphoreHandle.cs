using System.Runtime.InteropServices;

namespace Multiprocess.Internal;

/// <summary>A <c>sem_t*</c> from sem_open, closed (never unlinked) on release.</summary>
internal sealed class SemaphoreHandle : SafeHandle
{
    public SemaphoreHandle(IntPtr sem)
        : base(IntPtr.Zero, ownsHandle: true) => SetHandle(sem);

    /// <summary>Gets the raw pointer; CPython pickles it as the SemLock's <c>handle</c>.</summary>
    public IntPtr Pointer => handle;

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => LibcSem.SemClose(handle) == 0;
}
