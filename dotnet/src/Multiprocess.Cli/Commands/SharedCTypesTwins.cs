using System.Numerics;
using System.Runtime.InteropServices;
using Multiprocess.SharedCTypes;

namespace Multiprocess.Cli.Commands;

/// <summary>The C# twins of mpdemo's shared ctypes functions (<c>add_shared</c>, <c>fill_shared</c>): what a C# child
/// does with the Value, Array, RawValue and RawArray objects a Python parent hands it.</summary>
internal static class SharedCTypesTwins
{
    /// <summary>mpdemo.add_shared: n increments of counter, each under its lock, then +1.0 on every element of numbers
    /// under numbers' lock.</summary>
    public static int AddShared(object? counter, object? numbers, long n)
    {
        var value = counter as SharedValue<int>
            ?? throw new ArgumentException($"add_shared expects a Value('i') as counter, got {Describe(counter)}");
        var array = numbers as SharedArray<double>
            ?? throw new ArgumentException($"add_shared expects an Array('d') as numbers, got {Describe(numbers)}");
        for (long i = 0; i < n; i++)
        {
            using (value.EnterScope())
            {
                value.Raw.Value++;
            }
        }

        using (array.EnterScope())
        {
            foreach (ref var x in array.Raw.AsSpan())
            {
                x += 1.0;
            }
        }

        return 0;
    }

    /// <summary>mpdemo.fill_shared: 42 + i into element i of each raw array, 42 into each raw value (true for
    /// c_bool).</summary>
    public static int FillShared(IReadOnlyList<object?> objects)
    {
        foreach (var o in objects)
        {
            var obj = o as CTypeObject ?? throw new ArgumentException($"fill_shared expects RawValue/RawArray objects, got {Describe(o)}");
            var bytes = obj.AsBytes();
            switch (obj.Type.ClrType)
            {
                case var t when t == typeof(bool):
                    MemoryMarshal.Cast<byte, bool>(bytes).Fill(true);
                    break;
                case var t when t == typeof(sbyte):
                    Fill<sbyte>(bytes);
                    break;
                case var t when t == typeof(byte):
                    Fill<byte>(bytes);
                    break;
                case var t when t == typeof(short):
                    Fill<short>(bytes);
                    break;
                case var t when t == typeof(ushort):
                    Fill<ushort>(bytes);
                    break;
                case var t when t == typeof(int):
                    Fill<int>(bytes);
                    break;
                case var t when t == typeof(uint):
                    Fill<uint>(bytes);
                    break;
                case var t when t == typeof(long):
                    Fill<long>(bytes);
                    break;
                case var t when t == typeof(ulong):
                    Fill<ulong>(bytes);
                    break;
                case var t when t == typeof(nuint):
                    Fill<nuint>(bytes);
                    break;
                case var t when t == typeof(float):
                    Fill<float>(bytes);
                    break;
                case var t when t == typeof(double):
                    Fill<double>(bytes);
                    break;
                default:
                    throw new ArgumentException($"fill_shared: no filler for {obj.Type}");
            }
        }

        return 0;
    }

    private static void Fill<T>(Span<byte> bytes)
        where T : unmanaged, INumberBase<T>
    {
        var items = MemoryMarshal.Cast<byte, T>(bytes);
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = T.CreateTruncating(42 + i);
        }
    }

    private static string Describe(object? o) => o?.GetType().Name ?? "None";
}
