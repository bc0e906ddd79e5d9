using System.Globalization;
using System.Text.Json;
using Multiprocess.Pooling;
using Multiprocess.Processes;
using Multiprocess.SharedCTypes;

namespace Multiprocess.TestPeer;

/// <summary>
/// <c>multiprocess-testpeer sharedctypes PYTHON PACKAGE SYS_PATH N [spawn|forkserver]</c>: a C# parent that shares a
/// <c>Value('i')</c> and an <c>Array('d', 8)</c> with CPython children (spawned, or forked by a forkserver this process
/// starts: docs/forkserver.md) and prints what it observed as one JSON line:
/// <list type="number">
/// <item>two children run <c>mpdemo:add_shared(counter, numbers, N)</c> while this process does the same in C#: the
/// counter must end at 3N and each element at 3.0 (the lock keeps every increment);</item>
/// <item>a Pool(2) whose initializer <c>mpdemo:init_shared</c> receives both; four tasks
/// <c>mpdemo:add_shared_in_worker(N)</c> add 4N more;</item>
/// <item>one child runs <c>mpdemo:fill_shared</c> over a RawValue and a RawArray(3) of every typecode, which this
/// process reads back.</item>
/// </list>
/// </summary>
internal static class SharedCTypesParent
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static int Run(string[] args)
    {
        if (args.Length is not (4 or 5) || (args.Length == 5 && args[4] is not ("spawn" or "forkserver")))
        {
            Console.Error.WriteLine("usage: multiprocess-testpeer sharedctypes PYTHON PACKAGE SYS_PATH N [spawn|forkserver]");
            return 2;
        }

        var options = new PythonProcessOptions
        {
            Interpreter = PythonInterpreter.FromPath(args[0]),
            Package = args[1],
            SysPath = [args[2]],
            UseForkServer = args.Length == 5 && args[4] == "forkserver",
        };
        var n = long.Parse(args[3], CultureInfo.InvariantCulture);
        var result = new Dictionary<string, object?>();

        using var counter = new SharedValue<int>(0);
        using var numbers = new SharedArray<double>(8);
        var children = Enumerable.Range(0, 2)
            .Select(_ => new PythonProcess("mpdemo:add_shared", [counter, numbers, n], options: options))
            .ToList();
        children.ForEach(p => p.Start());
        for (long i = 0; i < n; i++)
        {
            using (counter.EnterScope())
            {
                counter.Raw.Value++;
            }
        }

        using (numbers.EnterScope())
        {
            foreach (ref var x in numbers.Raw.AsSpan())
            {
                x += 1.0;
            }
        }

        result["exitcodes"] = children.Select(p => p.Join(Timeout) ? p.ExitCode : null).ToList();
        result["names"] = children.Select(p => p.Name).ToList();
        result["counter"] = counter.Value;
        result["numbers"] = numbers.ToArray();
        children.ForEach(p => p.Dispose());

        using (var pool = new Pool(new PoolOptions
        {
            Processes = 2,
            Process = options,
            Initializer = "mpdemo:init_shared",
            InitArgs = [counter, numbers],
        }))
        {
            result["pool_results"] = pool.Map("mpdemo:add_shared_in_worker", Enumerable.Repeat<object?>(n, 4), chunksize: 1);
            result["pool_workers"] = pool.Workers.Select(w => w.Name).Order(StringComparer.Ordinal).ToList();
            pool.Close();
            pool.Join(Timeout);
        }

        result["counter_after_pool"] = counter.Value;

        var typecodes = "cbBhHiIlLqQfdu";
        var raws = new List<CTypeObject>();
        foreach (var code in typecodes.Select(c => c.ToString()))
        {
            raws.Add(RawValueOf(code));
            raws.Add(RawArrayOf(code, 3));
        }

        raws.Add(new RawValue<bool>(false, "c_bool"));
        raws.Add(new RawArray<long>(3, "c_int64"));
        using (var fill = new PythonProcess("mpdemo:fill_shared", raws, options: options))
        {
            fill.Start();
            result["fill_exitcode"] = fill.Join(Timeout) ? fill.ExitCode : null;
        }

        result["filled"] = raws.Select(Describe).ToList();
        raws.ForEach(r => r.Dispose());
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static CTypeObject RawValueOf(string code) => CType.Parse(code).ClrType switch
    {
        var t when t == typeof(sbyte) => new RawValue<sbyte>(0, code),
        var t when t == typeof(byte) => new RawValue<byte>(0, code),
        var t when t == typeof(short) => new RawValue<short>(0, code),
        var t when t == typeof(ushort) => new RawValue<ushort>(0, code),
        var t when t == typeof(int) => new RawValue<int>(0, code),
        var t when t == typeof(uint) => new RawValue<uint>(0, code),
        var t when t == typeof(long) => new RawValue<long>(0, code),
        var t when t == typeof(ulong) => new RawValue<ulong>(0, code),
        var t when t == typeof(float) => new RawValue<float>(0, code),
        _ => new RawValue<double>(0, code),
    };

    private static CTypeObject RawArrayOf(string code, int length) => CType.Parse(code).ClrType switch
    {
        var t when t == typeof(sbyte) => new RawArray<sbyte>(length, code),
        var t when t == typeof(byte) => new RawArray<byte>(length, code),
        var t when t == typeof(short) => new RawArray<short>(length, code),
        var t when t == typeof(ushort) => new RawArray<ushort>(length, code),
        var t when t == typeof(int) => new RawArray<int>(length, code),
        var t when t == typeof(uint) => new RawArray<uint>(length, code),
        var t when t == typeof(long) => new RawArray<long>(length, code),
        var t when t == typeof(ulong) => new RawArray<ulong>(length, code),
        var t when t == typeof(float) => new RawArray<float>(length, code),
        _ => new RawArray<double>(length, code),
    };

    /// <summary>"c_int:[42,43,44]": the ctype and its elements as numbers.</summary>
    private static string Describe(CTypeObject o)
    {
        var bytes = o.AsBytes();
        var values = new List<string>();
        for (var i = 0; i < (o.Length ?? 1); i++)
        {
            var item = bytes.Slice(i * o.Type.Size, o.Type.Size);
            values.Add(o.Type.Name switch
            {
                "c_float" => BitConverter.ToSingle(item).ToString(CultureInfo.InvariantCulture),
                "c_double" => BitConverter.ToDouble(item).ToString(CultureInfo.InvariantCulture),
                "c_byte" => ((sbyte)item[0]).ToString(CultureInfo.InvariantCulture),
                _ => o.Type.Size switch
                {
                    1 => item[0].ToString(CultureInfo.InvariantCulture),
                    2 => BitConverter.ToInt16(item).ToString(CultureInfo.InvariantCulture),
                    4 => BitConverter.ToInt32(item).ToString(CultureInfo.InvariantCulture),
                    _ => BitConverter.ToInt64(item).ToString(CultureInfo.InvariantCulture),
                },
            });
        }

        return $"{o.Type.Name}:[{string.Join(',', values)}]";
    }
}
