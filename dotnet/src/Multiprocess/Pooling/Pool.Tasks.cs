using System.Buffers;
using System.Collections.Concurrent;
using Multiprocess.Pickle;
using Multiprocess.Queues;

namespace Multiprocess.Pooling;

/// <content>The task handler thread (pool.py <c>_handle_tasks</c>): pickles each task as
/// <c>(job, i, func, args, kwds)</c> and writes it to the task pipe; a full pipe makes this thread wait, never the
/// caller.</content>
public sealed partial class Pool
{
    // Frames gathered into one write(2); more than a pipe holds would only wait longer.
    private const int TaskBatchBytes = 64 * 1024;

    private readonly BlockingCollection<TaskSource> _taskQueue = new();
    private volatile bool _taskThreadBusy;

    private void HandleTasks()
    {
        var batch = new ArrayBufferWriter<byte>(TaskBatchBytes);
        try
        {
            foreach (var source in _taskQueue.GetConsumingEnumerable())
            {
                _taskThreadBusy = true;
                try
                {
                    if (IsTerminating)
                    {
                        return;
                    }

                    if (source.Sentinels > 0)
                    {
                        // One None per worker: each worker that reads one exits (pool.py: for p in pool: put(None)).
                        var none = PipeFrames.Frame(null, _pickleOptions);
                        for (var i = 0; i < source.Sentinels; i++)
                        {
                            batch.Write(MarkedPipeFrames.Marker);
                            batch.Write(none);
                        }

                        Flush(batch);
                        continue;
                    }

                    var count = Generate(source, batch);
                    Flush(batch);
                    source.SetLength?.Invoke(count);
                }
                finally
                {
                    _taskThreadBusy = false;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The pipe was closed under us (terminate) or every reader has gone.
            if (!IsTerminating)
            {
                BreakPool(new ProcessException($"the pool's task pipe failed: {e.Message}", e));
            }
        }
    }

    /// <summary>pool.py _guarded_task_generation: a failure to read the input fails the task at that index and ends
    /// the input; a task that cannot be pickled fails itself.</summary>
    private int Generate(TaskSource source, ArrayBufferWriter<byte> batch)
    {
        var job = source.Job!;
        var count = 0;
        using var tasks = source.Tasks.GetEnumerator();
        while (!IsTerminating)
        {
            TaskItem task;
            try
            {
                if (!tasks.MoveNext())
                {
                    break;
                }

                task = tasks.Current;
            }
            catch (Exception e)
            {
                job.Set(count, null, e);
                return count + 1;
            }

            count++;
            byte[] frame;
            try
            {
                frame = PipeFrames.Frame(TaskTuple(job.Id, task), _pickleOptions);
            }
            catch (PicklingException e)
            {
                job.Set(task.Index, null, e);
                continue;
            }

            batch.Write(MarkedPipeFrames.Marker);
            batch.Write(frame);
            if (!source.Batch || batch.WrittenCount >= TaskBatchBytes)
            {
                Flush(batch);
            }
        }

        return count;
    }

    /// <summary>The task as a Python worker runs it: wrapped in the slot recorder when there are Python workers
    /// (<c>(job, i, run, (job, i, func, args, kwds), {})</c>), plain otherwise.</summary>
    private PyTuple TaskTuple(long job, TaskItem task)
    {
        var plain = new PyTuple(job, (long)task.Index, task.Func, task.Args, task.Kwds);
        return PythonWorkerCount == 0 ? plain : new PyTuple(job, (long)task.Index, _wrapper, plain, new PyDict());
    }

    private void Flush(ArrayBufferWriter<byte> batch)
    {
        if (batch.WrittenCount > 0)
        {
            _inqueue.PutFrame(batch.WrittenSpan);
            batch.ResetWrittenCount();
        }
    }

    /// <summary>What the task thread consumes: a job's tasks, or sentinels.</summary>
    private sealed record TaskSource(PoolJob? Job, IEnumerable<TaskItem> Tasks, bool Batch, Action<int>? SetLength, int Sentinels);
}
