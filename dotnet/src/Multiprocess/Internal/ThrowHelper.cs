using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Multiprocess.Internal;

/// <summary>
/// Throw helpers kept out of line so hot paths stay small and inlinable (docs/style.md §4). Partial: each subsystem adds
/// its own file (ThrowHelper.Connection.cs, ...).
/// </summary>
internal static partial class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowArgument(string paramName, string message) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange(string paramName, string message) => throw new ArgumentOutOfRangeException(paramName, message);

    /// <summary>An OS call failed: IOException (Python's OSError) naming the call and the errno.</summary>
    [DoesNotReturn]
    public static void ThrowErrno(string call, int errno) => throw Errno(call, errno);

    public static IOException Errno(string call, int errno) =>
        new($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
}
