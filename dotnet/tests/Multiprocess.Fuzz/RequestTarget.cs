using Multiprocess.Pickle;

namespace Multiprocess.Fuzz;

/// <summary>
/// <c>request</c>: the manager server's allocation-free decoder of a stock proxy call (<see cref="RequestUnpickler"/>)
/// against the general unpickler. It may decline anything, but what it accepts <c>PickleSerializer.Loads</c> must
/// accept too and read as the same <c>(ident, methodname, args, {})</c>, each argument of the same type and value.
/// </summary>
internal static class RequestTarget
{
    private static readonly RequestUnpickler s_decoder = new();

    public static FuzzTarget Create() => new("request", "RequestUnpickler.TryLoad against PickleSerializer.Loads (a differential)", Run, Seeds);

    private static void Run(byte[] input)
    {
        if (!s_decoder.TryLoad(input, out var ident, out var method, out var args))
        {
            return;
        }

        object? general;
        try
        {
            general = PickleSerializer.Loads(input);
        }
        catch (Exception e) when (e is UnpicklingException or EndOfStreamException)
        {
            throw new FuzzFindingException($"the fast path accepted a request Loads rejects: {e.Message}");
        }

        if (general is not PyTuple { Count: 4 } r || !Equals(r[0], ident) || !Equals(r[1], method)
            || r[2] is not PyTuple a || a.Count != args.Count || r[3] is not PyDict { Count: 0 })
        {
            throw new FuzzFindingException($"the fast path read ({ident}, {method}, {PyRepr.Repr(args)}, {{}}), Loads {PyRepr.Repr(general)}");
        }

        for (var i = 0; i < a.Count; i++)
        {
            var same = args[i] is double x && a[i] is double y
                ? BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y)
                : args[i]?.GetType() == a[i]?.GetType() && Equals(args[i], a[i]);
            if (!same)
            {
                throw new FuzzFindingException($"argument {i}: the fast path read {PyRepr.Repr(args[i])} ({args[i]?.GetType().Name}), Loads {PyRepr.Repr(a[i])} ({a[i]?.GetType().Name})");
            }
        }
    }

    /// <summary>Stock calls as CPython 3.8–3.13 (protocol 4) and 3.14 (protocol 5) pickle them (the engine's dumps writes the same bytes: StockRequestBytesTests).</summary>
    private static IEnumerable<(string, byte[])> Seeds(string repo)
    {
        object?[][] calls =
        [
            ["__setitem__", 1L, 12345L], ["__getitem__", 1L], ["append", 70000L], ["append", 1L << 40], ["acquire", true],
            ["acquire", false, 2.5], ["release"], ["put", 5L, true, null], ["get"], ["notify", 1L], ["wait", null], ["__setitem__", "key", 1.5],
        ];
        foreach (var protocol in new[] { 4, 5 })
        {
            foreach (var (call, i) in calls.Select((c, i) => (c, i)))
            {
                var request = PyTuple.Create("7f0a1b2c3d40", call[0], new PyTuple(call[1..]), new PyDict());
                yield return ($"p{protocol}-{i:00}-{call[0]}", PickleSerializer.Dumps(request, new PickleOptions { Protocol = protocol }));
            }
        }
    }
}
