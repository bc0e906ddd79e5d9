using System.IO.MemoryMappedFiles;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// A read-only look at a segment in /dev/shm: mapped, not attached, so inspecting never needs write permission, never
/// registers with a resource tracker, and reads only the pages it touches.
/// </summary>
internal sealed unsafe class SegmentView : IDisposable
{
    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _pointer;

    private SegmentView(string path, long length)
    {
        Length = length;
        if (length == 0)
        {
            return;
        }

        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, capacity: 0, MemoryMappedFileAccess.Read);
        _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _pointer = p + _view.PointerOffset;
    }

    /// <summary>Gets the segment size.</summary>
    public long Length { get; }

    /// <summary>Gets the whole segment (or its first 2 GiB).</summary>
    public ReadOnlySpan<byte> Span => Length == 0 ? default : new ReadOnlySpan<byte>(_pointer, (int)Math.Min(Length, int.MaxValue));

    /// <summary>Opens /dev/shm/NAME, or returns null when there is no such segment.</summary>
    public static SegmentView? Open(string directory, string name)
    {
        var path = Path.Combine(directory, name);
        var info = new FileInfo(path);
        if (name.Length == 0 || name.Contains('/') || !info.Exists)
        {
            return null;
        }

        return new SegmentView(path, info.Length);
    }

    public void Dispose()
    {
        _view?.SafeMemoryMappedViewHandle.ReleasePointer();
        _view?.Dispose();
        _file?.Dispose();
    }
}
