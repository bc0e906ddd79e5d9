using System.Runtime.InteropServices;
using System.Text;
using Multiprocess.Internal;

namespace Multiprocess.Processes;

/// <summary>Collects what a child writes to one of its standard streams: the read end of a pipe drained by a
/// background thread until every writer has closed it.</summary>
internal sealed unsafe class OutputCapture
{
    private readonly int _fd;
    private readonly MemoryStream _bytes = new();
    private readonly Thread _thread;

    public OutputCapture(int readFd, string name)
    {
        _fd = readFd;
        _thread = new Thread(Drain) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>The text so far; waits up to <paramref name="wait"/> for the end of the stream first.</summary>
    public string Text(TimeSpan wait)
    {
        _thread.Join(wait);
        lock (_bytes)
        {
            return Encoding.UTF8.GetString(_bytes.GetBuffer(), 0, (int)_bytes.Length);
        }
    }

    private void Drain()
    {
        var buffer = new byte[16 * 1024];
        try
        {
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    var n = LibcPipe.Read(_fd, p, (nuint)buffer.Length);
                    if (n == 0 || (n < 0 && Marshal.GetLastPInvokeError() != Errno.EINTR))
                    {
                        return;
                    }

                    if (n > 0)
                    {
                        lock (_bytes)
                        {
                            _bytes.Write(buffer, 0, (int)n);
                        }
                    }
                }
            }
        }
        finally
        {
            LibcPipe.Close(_fd);
        }
    }
}
