namespace Multiprocess.Fuzz;

/// <summary>
/// One fuzz target: a function of the input bytes that returns normally for every input the engine handles as
/// designed (a value, or one of the documented exceptions, caught inside), and throws for anything else. AFL++ counts
/// an exception that escapes as a crash; the tests replay every saved input through the same function.
/// </summary>
/// <param name="Name">The name scripts/fuzz.sh and the tests use.</param>
/// <param name="What">What the target feeds the input to.</param>
/// <param name="Run">The target itself.</param>
/// <param name="Seeds">The starting inputs, from the repository root (well-formed messages, as peers send them).</param>
public sealed record FuzzTarget(string Name, string What, Action<byte[]> Run, Func<string, IEnumerable<(string Name, byte[] Data)>> Seeds)
{
    /// <summary>Gets every target, in the order scripts/fuzz.sh runs them.</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        PickleTarget.Create(),
        RequestTarget.Create(),
        FrameTarget.Create(),
        HandshakeTargets.CreateServer(),
        HandshakeTargets.CreateClient(),
        DispatchTarget.Create(),
        TrackerTarget.Create(),
        ShareableListTarget.Create(),
    ];

    private static readonly Lock s_gate = new();
    private static readonly List<Exception> s_bugs = [];
    private static bool s_watching;

    /// <summary>
    /// Runs the target on one input, and fails it when the engine threw an exception that correct code never
    /// throws, even one caught inside (a NullReferenceException turned into a remote error is still a bug).
    /// </summary>
    /// <param name="input">The input.</param>
    /// <exception cref="FuzzFindingException">Such an exception was thrown.</exception>
    public void Execute(byte[] input)
    {
        lock (s_gate)
        {
            if (!s_watching)
            {
                AppDomain.CurrentDomain.FirstChanceException += (_, e) =>
                {
                    if (e.Exception is NullReferenceException or IndexOutOfRangeException or AccessViolationException or InvalidProgramException)
                    {
                        lock (s_gate)
                        {
                            s_bugs.Add(e.Exception);
                        }
                    }
                };
                s_watching = true;
            }

            s_bugs.Clear();
        }

        Run(input);
        lock (s_gate)
        {
            if (s_bugs.Count > 0)
            {
                throw new FuzzFindingException($"the engine threw {s_bugs[0].GetType().Name} (caught inside): {s_bugs[0]}");
            }
        }
    }

    /// <summary>Finds a target by name.</summary>
    /// <param name="name">The target's name.</param>
    /// <returns>The target.</returns>
    /// <exception cref="ArgumentException">No target has that name.</exception>
    public static FuzzTarget Find(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"no fuzz target '{name}' (targets: {string.Join(", ", All.Select(t => t.Name))})", nameof(name));
}

/// <summary>What a target found that is not a crash of the runtime but still a bug: thrown so AFL++ saves the input.</summary>
/// <param name="message">What is wrong, with the numbers.</param>
public sealed class FuzzFindingException(string message) : Exception(message);

/// <summary>Helpers the targets share.</summary>
internal static class Inputs
{
    /// <summary>Splits <paramref name="input"/> into frames the way CPython frames messages (4-byte big-endian length,
    /// clamped to what is left), so seeds are real messages and the fuzzer can still cut and splice them.</summary>
    public static List<byte[]> Frames(ReadOnlySpan<byte> input)
    {
        var frames = new List<byte[]>();
        while (input.Length >= 4)
        {
            var length = (int)Math.Min((uint)System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(input), (uint)(input.Length - 4));
            frames.Add(input.Slice(4, length).ToArray());
            input = input[(4 + length)..];
        }

        return frames;
    }

    /// <summary>One frame as CPython writes it: <c>!i n</c> then the payload.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> payload)
    {
        var frame = new byte[4 + payload.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame, payload.Length);
        payload.CopyTo(frame.AsSpan(4));
        return frame;
    }

    /// <summary>The pickles of the golden vectors (interop-tests/vectors/cases/*/p*.pickle, made by CPython), small ones only.</summary>
    public static IEnumerable<(string Name, byte[] Data)> VectorPickles(string repo, int maxLength = 1024)
    {
        var cases = Path.Combine(repo, "interop-tests", "vectors", "cases");
        if (!Directory.Exists(cases))
        {
            throw new DirectoryNotFoundException($"no golden vectors at {cases}: give the repository root");
        }

        foreach (var dir in Directory.GetDirectories(cases).Order(StringComparer.Ordinal))
        {
            foreach (var file in Directory.GetFiles(dir, "p*.pickle").Order(StringComparer.Ordinal))
            {
                var data = File.ReadAllBytes(file);
                if (data.Length <= maxLength)
                {
                    yield return ($"{Path.GetFileName(dir)}-{Path.GetFileNameWithoutExtension(file)}", data);
                }
            }
        }
    }
}
