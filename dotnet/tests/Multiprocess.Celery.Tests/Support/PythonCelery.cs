using System.Text.Json;

namespace Multiprocess.Celery.Tests.Support;

/// <summary>
/// Real Python Celery (Debian's python3-celery on /usr/bin/python3): workers and clients of the test app
/// (python/celery_test_app.py), pointed at a broker through the environment.
/// </summary>
public static class PythonCelery
{
    /// <summary>The interpreter that has Debian's celery, kombu and redis packages.</summary>
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string> s_version = new(Probe);

    /// <summary>Gets the folder holding the Python modules of the tests.</summary>
    public static string ModuleDirectory => Path.Combine(AppContext.BaseDirectory, "python");

    /// <summary>Gets Celery's version, checking it is importable.</summary>
    /// <exception cref="InvalidOperationException">It is not installed.</exception>
    public static string Version => s_version.Value;

    /// <summary>Starts a Python worker and waits until it consumes.</summary>
    /// <param name="broker">Broker URL.</param>
    /// <param name="queues">Queues.</param>
    /// <param name="name">Node name prefix (made unique).</param>
    /// <param name="concurrency">Threads.</param>
    /// <param name="environment">Extra settings (CELERY_TEST_RESULT_SERIALIZER, CELERY_TEST_VISIBILITY).</param>
    /// <param name="pool">Celery's pool: threads; solo on AMQP, where a threads pool's late acks wait for the
    /// consumer loop's next wake-up (seconds per task: py-amqp channels are not shared across threads).</param>
    /// <returns>The worker.</returns>
    public static ChildProcess StartWorker(string broker, string queues, string name = "py", int concurrency = 2, Dictionary<string, string>? environment = null, string pool = "threads")
    {
        _ = Version;
        var env = Environment(broker, environment);
        var worker = ChildProcess.Start(
            Python,
            ["-m", "celery", "-A", "celery_test_app", "worker", "-l", "info", "-P", pool, "-c", concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "-Q", queues, "-n", $"{name}{System.Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            env,
            ModuleDirectory);
        worker.WaitForLine(" ready.", TimeSpan.FromSeconds(60));
        return worker;
    }

    /// <summary>Runs celery_client.py and parses its JSON line.</summary>
    /// <param name="broker">Broker URL.</param>
    /// <param name="args">The client's arguments.</param>
    /// <param name="environment">Extra settings.</param>
    /// <returns>The parsed output.</returns>
    public static JsonElement RunClient(string broker, IEnumerable<string> args, Dictionary<string, string>? environment = null)
    {
        _ = Version;
        using var client = ChildProcess.Start(Python, ["celery_client.py", .. args], Environment(broker, environment), ModuleDirectory);
        var code = client.WaitForExit(TimeSpan.FromSeconds(120));
        var line = client.Output.Split('\n').LastOrDefault(l => l.StartsWith('{') || l.StartsWith('['));
        if (code != 0 || line is null)
        {
            throw new InvalidOperationException($"celery_client.py {string.Join(" ", args)} exited {code}:\n{client.Tail()}");
        }

        return JsonDocument.Parse(line).RootElement.Clone();
    }

    /// <summary>Runs the <c>celery</c> command of the test app (inspect, control...).</summary>
    /// <param name="broker">Broker URL.</param>
    /// <param name="args">Arguments after <c>-A celery_test_app</c>.</param>
    /// <returns>Exit code and output.</returns>
    public static (int Code, string Output) RunCelery(string broker, params string[] args)
    {
        using var p = ChildProcess.Start(Python, ["-m", "celery", "-A", "celery_test_app", .. args], Environment(broker, null), ModuleDirectory);
        var code = p.WaitForExit(TimeSpan.FromSeconds(60));
        return (code, p.Output);
    }

    private static Dictionary<string, string> Environment(string broker, Dictionary<string, string>? extra)
    {
        var env = new Dictionary<string, string>(extra ?? []) { ["CELERY_TEST_BROKER"] = broker, ["PYTHONDONTWRITEBYTECODE"] = "1", ["C_FORCE_ROOT"] = "1" }; // CI runs as root; the workers accept pickle
        env.TryAdd("CELERY_TEST_BACKEND", broker);
        return env;
    }

    private static string Probe()
    {
        if (!File.Exists(Python))
        {
            throw new InvalidOperationException($"{Python} is missing: run scripts/setup.sh as root");
        }

        using var p = ChildProcess.Start(Python, ["-c", "import celery, kombu, redis; print(celery.__version__, kombu.__version__, redis.__version__)"]);
        var code = p.WaitForExit(TimeSpan.FromSeconds(60));
        return code == 0
            ? p.Output.Trim()
            : throw new InvalidOperationException($"Python Celery is not importable by {Python} (apt packages python3-celery python3-redis: run scripts/setup.sh as root):\n{p.Output}");
    }
}
