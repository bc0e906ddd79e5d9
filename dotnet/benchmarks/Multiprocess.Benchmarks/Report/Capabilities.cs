using System.Text.RegularExpressions;

namespace Multiprocess.Benchmarks.Report;

/// <summary>
/// The rows of the conformance matrix: which capability a test exercises, from its id (<see cref="TestResults.Identify"/>).
/// A test may count for several rows (a pickle recoded from protocol 2 to 5 is a read of 2 and a write of 5); a test
/// no rule names lands in "other", so nothing that ran is left out of the counts.
/// </summary>
public static class Capabilities
{
    /// <summary>The row for tests no rule names.</summary>
    public const string Other = "other";

    // (row, pattern): the row may name the pattern's first matching group as {1}. The order of the list is the order of
    // the rows. A row marked "(rest)" takes only the tests that no earlier row took: the rest of a test file.
    private static readonly (string Row, Regex Pattern)[] s_rules =
    [
        ("framing", Rx(@"^test_connection_(serve|connect)\.py::test_(handshake_then_every_size|handshake_sizes|receive_into|echo_mode|large_messages|concurrent|broken|default_listener)|\.Connection\.(Framing|LargeMessage|CPythonLargeMessage|ReceiveLimit|Connection|PipeAndWait|ListenerClient|ConnectionAddress)Tests\.")),
        ("handshake: legacy HMAC-MD5", Rx(@"::test_challenge_digests_are_answered\[(legacy|md5)\]")),
        ("handshake: {sha256} and other digests", Rx(@"::test_challenge_digests_are_answered\[sha")),
        ("handshake: wrong and empty authkeys", Rx(@"::test_(wrong_key|empty_authkey)|\.Connection\.AuthenticationTests\.")),
        ("pickle: read protocol {1}", Rx(@"^test_pickle\.py::test_recode_builtins_equal\[\d-(\d)\]|^test_pickle\.py::test_recode_(?:builtins_byte_identical|objects_equal)\[(\d)\]")),
        ("pickle: write protocol {1}", Rx(@"^test_pickle\.py::test_recode_builtins_equal\[(\d)-\d\]|^test_pickle\.py::test_recode_builtins_byte_identical\[(\d)\]")),
        ("pickle: dill functions", Rx(@"^test_pickle\.py::test_recode_dill")),
        ("pickle: limits, errors, large and deep values (rest)", Rx(@"^test_pickle\.py::")),
        ("pickle: codec, golden vectors (C#)", Rx(@"^Multiprocess\.Pickle\.Tests\.")),
        ("manager server: dict, list, values", Rx(@"^test_manager_server\.py::test_(dict|list|values)")),
        ("manager server: Queue, JoinableQueue", Rx(@"^test_manager_server_queues\.py::")),
        ("manager server: locks, Condition, Event, Barrier", Rx(@"^test_manager_server_synchronize\.py::")),
        ("manager server: Value, Array, Namespace, proxies (rest)", Rx(@"^test_manager_server\.py::")),
        ("manager server: CPython's own manager tests", Rx(@"^test_manager_server_cpython\.py::")),
        ("manager server: names per client version", Rx(@"^test_manager_server_versions\.py::")),
        ("manager server: Python host (Pool, Barrier actions, registered callables)", Rx(@"^test_manager_server_pyhost\.py::")),
        ("manager server: faults, limits, soak", Rx(@"^test_manager_server_(faults|soak)\.py::")),
        ("managers (C# client and server)", Rx(@"^Multiprocess\.Tests\.Managers\.")),
        ("shared memory", Rx(@"^test_shm\.py::|^Multiprocess\.Tests\.SharedMemory\.")),
        ("shared ctypes (Value, Array, RawValue, RawArray)", Rx(@"^test_sharedctypes\.py::|^Multiprocess\.Tests\.SharedCTypes\.")),
        ("locks (POSIX semaphores)", Rx(@"^test_locks\.py::|^Multiprocess\.Tests\.Synchronize\.")),
        ("queues", Rx(@"^test_queues_csharp_child\.py::|^Multiprocess\.Tests\.Queues\.")),
        ("spawn", Rx(@"^test_process_csharp_child\.py::|^Multiprocess\.Tests\.Process\.")),
        ("pool", Rx(@"^test_pool_demo\.py::|^Multiprocess\.Tests\.Pool\.")),
        ("resource tracker", Rx(@"^test_resource_tracker\.py::|^Multiprocess\.Tests\.ResourceTracker\.")),
        ("command line", Rx(@"^test_cli(_native)?\.py::|::test_errors_exit_1_with_a_message")),
        ("shim: managers", Rx(@"^test_(managers|cpython_manager_suite)\.py::")),
        ("shim: unmodified programs", Rx(@"^test_dropin\.py::")),
        ("shim: fork safety", Rx(@"^test_forksafety\.py::")),
        ("shim: the wheel, loading, pythonnet", Rx(@"^test_(installed|no_dotnet|pythonnet)\.py::")),
        ("celery", Rx(@"^Multiprocess\.Celery\.Tests\.")),
        ("packages", Rx(@"^Multiprocess\.Tests\.Packaging\.")),
    ];

    /// <summary>The rows a test counts for (at least one).</summary>
    public static IReadOnlyList<string> RowsOf(string id)
    {
        var rows = new List<string>();
        foreach (var (template, pattern) in s_rules)
        {
            var m = pattern.Match(id);
            var rest = template.EndsWith(" (rest)", StringComparison.Ordinal);
            if (!m.Success || (rest && rows.Count > 0))
            {
                continue;
            }

            var row = rest ? template[..^" (rest)".Length] : template;
            var group = m.Groups.Cast<Group>().Skip(1).FirstOrDefault(g => g.Success)?.Value ?? "";
            rows.Add(row.Replace("{1}", group, StringComparison.Ordinal));
        }

        return rows.Count > 0 ? rows : [Other];
    }

    /// <summary>Orders rows as the rules list them (protocols in numeric order), <see cref="Other"/> last.</summary>
    public static int Order(string row)
    {
        for (var i = 0; i < s_rules.Length; i++)
        {
            var template = s_rules[i].Row.Replace(" (rest)", "", StringComparison.Ordinal);
            var brace = template.IndexOf("{1}", StringComparison.Ordinal);
            if (brace < 0 ? row == template : row.StartsWith(template[..brace], StringComparison.Ordinal))
            {
                return (i * 10) + (brace < 0 ? 0 : int.TryParse(row[brace..], out var n) ? n : 9);
            }
        }

        return int.MaxValue;
    }

    private static Regex Rx(string pattern) => new(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled);
}
