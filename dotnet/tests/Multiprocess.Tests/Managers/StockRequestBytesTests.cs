using System.Diagnostics;
using Multiprocess.Pickle;
using Multiprocess.TestUtilities;

namespace Multiprocess.Tests.Managers;

/// <summary>
/// The bytes a stock proxy sends for a call (<c>ForkingPickler.dumps((ident, methodname, args, kwds))</c>, as
/// <c>Connection.send</c> pickles it) from CPython 3.8–3.13 (protocol 4), 3.14 (protocol 5) and multiprocess 0.70.19
/// (dill's pure-Python pickler, on 3.14): each is recognised by <see cref="RequestUnpickler"/>, and each equals what
/// <c>PickleSerializer.Dumps</c> writes for the same request, which makes the engine's own dumps the seeds of the
/// mutation test (<c>Multiprocess.Pickle.Tests.RequestUnpicklerTests</c>).
/// </summary>
public class StockRequestBytesTests
{
    private const string Ident = "7f0a1b2c3d40";

    // The same requests on both sides, in this order; each is (methodname, args) with kwds {}.
    private static readonly (string Method, object?[] Args, string Python)[] Calls =
    [
        ("__setitem__", [1L, 12345L], "(1, 12345)"),
        ("__getitem__", [1L], "(1,)"),
        ("append", [70000L], "(70000,)"),
        ("append", [1L << 40], "(1 << 40,)"),
        ("acquire", [true], "(True,)"),
        ("acquire", [false, 2.5], "(False, 2.5)"),
        ("release", [], "()"),
        ("put", [5L, true, null], "(5, True, None)"),
        ("get", [], "()"),
        ("notify", [1L], "(1,)"),
        ("wait", [null], "(None,)"),
        ("__setitem__", ["key", 1.5], "('key', 1.5)"),
    ];

    public static IEnumerable<TestCaseData> Peers =>
        PythonInterpreters.VersionsWithPeerRoot.Select(v => new TestCaseData(v, "multiprocessing").SetArgDisplayNames(v, "multiprocessing"))
            .Append(new TestCaseData(PythonInterpreters.PeerRootVersion, "multiprocess").SetArgDisplayNames(PythonInterpreters.PeerRootVersion, "multiprocess"));

    [TestCaseSource(nameof(Peers))]
    [CancelAfter(120_000)]
    public void ForkingPicklerDumps_StockCall_RecognisedAndEqualToEngineDumps(string version, string package)
    {
        var script = $$"""
            from {{package}}.reduction import ForkingPickler
            calls = [{{string.Join(", ", Calls.Select(c => $"('{c.Method}', {c.Python})"))}}]
            for name, args in calls:
                print(bytes(ForkingPickler.dumps(('{{Ident}}', name, args, {}))).hex())
            """;
        var lines = RunPython(version, script);
        Assert.That(lines, Has.Length.EqualTo(Calls.Length), "one pickle per call");
        var protocol = version == PythonInterpreters.PeerRootVersion ? 5 : 4;
        var decoder = new RequestUnpickler();
        for (var i = 0; i < Calls.Length; i++)
        {
            var sent = Convert.FromHexString(lines[i]);
            Assert.That(sent[1], Is.EqualTo(protocol), $"{Calls[i].Method}: protocol");
            Assert.That(decoder.TryLoad(sent, out var ident, out var method, out var args), Is.True, $"{Calls[i].Method}{Calls[i].Python}: {lines[i]}");
            Assert.That((ident, method, args), Is.EqualTo((Ident, Calls[i].Method, new PyTuple(Calls[i].Args))));
            var ours = PickleSerializer.Dumps(PyTuple.Create(Ident, Calls[i].Method, new PyTuple(Calls[i].Args), new PyDict()), new PickleOptions { Protocol = protocol });
            Assert.That(Convert.ToHexString(ours), Is.EqualTo(lines[i].ToUpperInvariant()), $"{Calls[i].Method}: the engine's dumps");
        }
    }

    internal static string[] RunPython(string version, string script)
    {
        using var process = Process.Start(new ProcessStartInfo(PythonInterpreters.Get(version), ["-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"python {version} did not finish in 90 s");
        }

        Assert.That(process.ExitCode, Is.Zero, () => stderr.Result);
        return stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
