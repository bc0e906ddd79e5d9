using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Multiprocess.Shm;
using Multiprocess.Synchronize;
using SyncLock = Multiprocess.Synchronize.Lock;
using SyncSemaphore = Multiprocess.Synchronize.Semaphore;

namespace Multiprocess.TestPeer;

/// <summary>
/// <c>multiprocess-testpeer serve</c>: reads one command per line on stdin and answers one JSON line on stdout
/// (<c>{"value": …}</c> or <c>{"error": "Type: message"}</c>). Resources it creates register with
/// <see cref="ResourceTracking.ResourceTracker.Default"/> ($MULTIPROCESS_TRACKER_FD, else a tracker started with
/// $MULTIPROCESS_CLI).
/// <code>
///   lock KIND [VALUE]            create Lock|RLock|Semaphore|BoundedSemaphore → {"id", "name"}
///   rebuild KIND MAXVALUE NAME   open a SemLock by name (KIND 0 = RLock, 1 = semaphore) → {"id"}
///   acquire ID [TIMEOUT|noblock] → true/false        release ID        value ID        count ID
///   shm SIZE                     create a tracked segment → {"id", "name"}
///   attach NAME                  attach untracked → {"id"}
///   counter SHMID LOCKID N       add 1 to the int64 at offset 0, N times, each under the lock
///   dispose ID                   close (the creator of a SemLock also unlinks it)
///   unlink ID                    unlink a segment
///   pid | exit
/// </code>
/// <c>multiprocess-testpeer sharedctypes ...</c> plays a C# parent sharing Value/Array with Python children
/// (<see cref="SharedCTypesParent"/>).
/// </summary>
public static class Program
{
    private static readonly Dictionary<int, object> s_objects = [];

    public static int Main(string[] args)
    {
        if (args is ["sharedctypes", ..])
        {
            return SharedCTypesParent.Run(args[1..]);
        }

        if (args is not ["serve"])
        {
            Console.Error.WriteLine("usage: multiprocess-testpeer serve | sharedctypes PYTHON PACKAGE SYS_PATH N [spawn|forkserver]");
            return 2;
        }

        string? line;
        while ((line = Console.ReadLine()) != null)
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0)
            {
                continue;
            }

            if (words[0] == "exit")
            {
                break;
            }

            object? reply;
            try
            {
                reply = new Dictionary<string, object?> { ["value"] = Execute(words) };
            }
            catch (Exception e)
            {
                reply = new Dictionary<string, object?> { ["error"] = $"{e.GetType().Name}: {e.Message}" };
            }

            Console.WriteLine(JsonSerializer.Serialize(reply));
            Console.Out.Flush();
        }

        return 0;
    }

    private static object? Execute(string[] w) => w[0] switch
    {
        "lock" => Add(CreateLock(w[1], w.Length > 2 ? Int(w[2]) : 1)),
        "rebuild" => Add(SemLock.Rebuild((SemLockKind)Int(w[1]), Int(w[2]), w[3])),
        "acquire" => Get<SemLock>(w[1]).Acquire(
            block: w.Length < 3 || w[2] != "noblock",
            timeout: w.Length > 2 && w[2] != "noblock" ? TimeSpan.FromSeconds(double.Parse(w[2], CultureInfo.InvariantCulture)) : null),
        "release" => Do(() => Get<SemLock>(w[1]).Release()),
        "value" => Get<SemLock>(w[1]).GetValue(),
        "count" => Get<SemLock>(w[1]).Count,
        "shm" => Add(SharedMemory.Create(long.Parse(w[1], CultureInfo.InvariantCulture))),
        "attach" => Add(SharedMemory.Attach(w[1], track: false)),
        "counter" => Do(() => Counter(Get<SharedMemory>(w[1]), Get<SemLock>(w[2]), Int(w[3]))),
        "dispose" => Do(() => ((IDisposable)s_objects[Int(w[1])]).Dispose()),
        "unlink" => Do(() => Get<SharedMemory>(w[1]).Unlink()),
        "pid" => Environment.ProcessId,
        _ => throw new ArgumentException($"unknown command '{w[0]}'"),
    };

    private static SemLock CreateLock(string kind, int value) => kind switch
    {
        "Lock" => new SyncLock(),
        "RLock" => new RLock(),
        "Semaphore" => new SyncSemaphore(value),
        "BoundedSemaphore" => new BoundedSemaphore(value),
        _ => throw new ArgumentException($"unknown lock kind '{kind}'"),
    };

    private static void Counter(SharedMemory shm, SemLock semLock, int n)
    {
        for (var i = 0; i < n; i++)
        {
            using (semLock.EnterScope())
            {
                // A plain read-modify-write: only the lock keeps updates from being lost.
                var span = shm.Span;
                BinaryPrimitives.WriteInt64LittleEndian(span, BinaryPrimitives.ReadInt64LittleEndian(span) + 1);
            }
        }
    }

    private static Dictionary<string, object?> Add(object o)
    {
        var id = s_objects.Count + 1;
        s_objects[id] = o;
        var reply = new Dictionary<string, object?> { ["id"] = id };
        if (o is SemLock s)
        {
            reply["name"] = s.Name;
        }
        else if (o is SharedMemory m)
        {
            reply["name"] = m.Name;
        }

        return reply;
    }

    private static T Get<T>(string id) => (T)s_objects[Int(id)];

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    private static object? Do(Action a)
    {
        a();
        return null;
    }
}
