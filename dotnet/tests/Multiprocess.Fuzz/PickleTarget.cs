using Multiprocess.Pickle;

namespace Multiprocess.Fuzz;

/// <summary><c>pickle</c>: <c>PickleSerializer.Loads</c>; whatever it accepts must print and pickle again.</summary>
internal static class PickleTarget
{
    public static FuzzTarget Create() => new("pickle", "PickleSerializer.Loads, then repr and dumps of what it returned", Run, Seeds);

    private static void Run(byte[] input)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        object? value;
        try
        {
            value = PickleSerializer.Loads(input);
        }
        catch (Exception e) when (e is UnpicklingException or EndOfStreamException)
        {
            return;
        }
        finally
        {
            // Each input byte makes at most one small object (a dict, a list, a boxed number): allocation is bounded
            // by a constant times the input's length (Multiprocess.Pickle.Tests/FuzzTests.cs uses the same bound).
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > (input.Length * 2048L) + (1 << 20))
            {
                throw new FuzzFindingException($"{allocated:N0} bytes allocated for a {input.Length}-byte pickle");
            }
        }

        try
        {
            _ = PyRepr.Repr(value);
            _ = PickleSerializer.Dumps(value);
        }
        catch (Exception e) when (e is PicklingException or InsufficientExecutionStackException)
        {
        }
    }

    private static IEnumerable<(string, byte[])> Seeds(string repo) => Inputs.VectorPickles(repo);
}
