using System.Diagnostics;
using System.Globalization;
using Multiprocess.Celery;
using Multiprocess.Celery.Protocol;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// <c>multiprocess celery map NAME COUNT</c>: <see cref="CeleryPool.Imap"/> of NAME over 0..COUNT-1 on a cluster,
/// printing <c>PROGRESS k</c> every <c>--progress</c> results and then one JSON line: how many results came back, whether
/// result <c>i</c> ends with <c>i</c> for every <c>i</c> (each task's result in its place, none lost, none twice), and
/// the results per worker node when they are <c>[lang, node, pid, i]</c> (<c>multiprocess.whoami</c>). Exit 0 when
/// every result is in place; 1 otherwise or on a failed task or timeout.
/// </summary>
internal static class CeleryMapCommand
{
    public static int Run(string name, int count, string broker, string? backend, string? queue, int chunksize, int progress, TimeSpan timeout)
    {
        using var pool = new CeleryPool(broker, backend) { Timeout = timeout };
        pool.Options.Queue = queue;
        var clock = Stopwatch.StartNew();
        var received = 0;
        var inPlace = 0;
        var byNode = new SortedDictionary<string, long>(StringComparer.Ordinal);
        try
        {
            foreach (var result in pool.Imap(name, Enumerable.Range(0, count).Select(i => (object?)(long)i), chunksize))
            {
                if (result is List<object?> { Count: > 0 } list)
                {
                    if (list[^1] is long last && last == received)
                    {
                        inPlace++;
                    }

                    if (list is [string lang, string node, ..])
                    {
                        var key = $"{lang}:{node}";
                        byNode[key] = byNode.GetValueOrDefault(key) + 1;
                    }
                }

                received++;
                if (progress > 0 && received % progress == 0)
                {
                    Console.Out.WriteLine($"PROGRESS {received}");
                    Console.Out.Flush();
                }
            }
        }
        catch (Exception e) when (e is TimeoutException or Multiprocess.Celery.Results.CeleryTaskException)
        {
            Console.Error.WriteLine($"multiprocess celery map: after {received} of {count} results: {e.Message}");
            return 1;
        }

        var summary = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["tasks"] = (long)count,
            ["results"] = (long)received,
            ["in_place"] = (long)inPlace,
            ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
            ["by_node"] = byNode.ToDictionary(kv => kv.Key, kv => (object?)kv.Value, StringComparer.Ordinal),
        };
        Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(CeleryJson.Serialize(summary)));
        return received == count && inPlace == count ? 0 : 1;
    }
}
