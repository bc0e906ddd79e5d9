using System.IO.Pipes;
using Multiprocess.Internal;
using Multiprocess.Managers.Referents;

namespace Multiprocess.Managers.Hosting;

/// <summary>
/// How a call gets its reply without a reader thread (docs/python-host.md, "Host transport"): the threads waiting for
/// replies take turns reading the host's reply pipe. The one that reads (the leader) hands each frame to its caller
/// and stops once its own came; then it wakes one other waiter, which reads next. A lone call thus reads its own
/// reply: no thread hand-off on the way back.
/// </summary>
internal sealed partial class PythonHost
{
    private sealed partial class Incarnation
    {
        private static readonly TimeSpan s_checkEvery = TimeSpan.FromMilliseconds(250);
        private readonly object _readGate = new();
        private bool _reading;

        /// <summary>The request running on the inline lane (0: none); the lane takes the next request once its reply came.</summary>
        private long _inlineId;

        /// <summary>Waits for request <paramref name="id"/>'s reply, reading the pipe while no one else does.</summary>
        /// <exception cref="SessionAbortedException">The client hung up meanwhile.</exception>
        private (int Status, byte[] Data)? Await(long id, Pending pending, SharedCallContext? context)
        {
            while (true)
            {
                pending.Wake.Reset();
                if (pending.Data is { } done)
                {
                    return (pending.Status, done);
                }

                if (Dead)
                {
                    return null;
                }

                if (TryLead())
                {
                    try
                    {
                        ReadUntil(id, pending, context);
                    }
                    finally
                    {
                        StepDown();
                    }

                    continue;
                }

                if (!pending.Wake.Wait(s_checkEvery))
                {
                    ThrowIfGone(id, context);
                }
            }
        }

        /// <summary>Reads frames, handing each to its caller, until <paramref name="pending"/> has its reply or the host died.</summary>
        private void ReadUntil(long id, Pending pending, SharedCallContext? context)
        {
            while (pending.Data is null && !Dead)
            {
                (long Id, byte[] Payload)? frame;
                try
                {
                    if (!SocketNative.PollReadable(_outputFd, Internal.Deadline.From(s_checkEvery)))
                    {
                        ThrowIfGone(id, context);
                        continue;
                    }

                    frame = HostFrames.Read(_output);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidDataException)
                {
                    frame = null; // same as EOF: the host is treated as dead
                }

                if (frame is not { } f)
                {
                    Die();
                    return;
                }

                Deliver(f.Id, f.Payload, pending);
            }
        }

        private void Deliver(long id, byte[] payload, Pending reader)
        {
            // The inline lane is free again once its reply came (also when its caller has gone meanwhile).
            Interlocked.CompareExchange(ref _inlineId, 0, id);
            if (_pending.TryRemove(id, out var pending))
            {
                pending.Status = payload.Length > 0 ? payload[0] : 2;
                pending.Data = payload.Length > 0 ? payload[1..] : [];
                if (!ReferenceEquals(pending, reader))
                {
                    pending.Wake.Set();
                }
            }
        }

        private bool TryLead()
        {
            lock (_readGate)
            {
                if (_reading)
                {
                    return false;
                }

                _reading = true;
                return true;
            }
        }

        /// <summary>Stops reading and wakes one caller still waiting: it reads next.</summary>
        private void StepDown()
        {
            lock (_readGate)
            {
                _reading = false;
                foreach (var waiting in _pending.Values)
                {
                    if (waiting.Data is null)
                    {
                        waiting.Wake.Set();
                        break;
                    }
                }
            }
        }

        /// <exception cref="SessionAbortedException">The client hung up (its request is forgotten; a late reply is dropped).</exception>
        private void ThrowIfGone(long id, SharedCallContext? context)
        {
            if (context is not null && (context.Aborted || context.IsPeerGone()))
            {
                _pending.TryRemove(id, out _);
                throw new SessionAbortedException();
            }
        }

        /// <summary>Opens the overflow lane (the FIFO the host made, then removed here: nothing is left in the file system).</summary>
        private Stream OpenLane(string path)
        {
            try
            {
                return new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new PythonHostLostException($"{Description}: its request lane {path} cannot be opened: {e.Message}", e);
            }
            finally
            {
                try
                {
                    File.Delete(path);
                    Directory.Delete(Path.GetDirectoryName(path)!);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Best effort: the host also removes them when it ends.
                }
            }
        }

        private static int FdOf(Stream stream) => stream switch
        {
            PipeStream p => (int)p.SafePipeHandle.DangerousGetHandle(),
            FileStream f => (int)f.SafeFileHandle.DangerousGetHandle(),
            _ => throw new InvalidOperationException($"the Python host's reply pipe is a {stream.GetType().Name}, not a pipe"),
        };

        private sealed class Pending
        {
            /// <summary>Gets the event set when the reply came, the host died, or this caller is to read next.</summary>
            public ManualResetEventSlim Wake { get; } = new(false);

            private byte[]? _data;

            public int Status { get; set; } = 2;

            /// <summary>Gets or sets the reply's pickle (null until it came); set after <see cref="Status"/>.</summary>
            public byte[]? Data
            {
                get => Volatile.Read(ref _data);
                set => Volatile.Write(ref _data, value);
            }
        }
    }
}
