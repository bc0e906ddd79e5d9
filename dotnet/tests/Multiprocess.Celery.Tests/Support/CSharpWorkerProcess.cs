using System.Globalization;
using Multiprocess.TestUtilities;

namespace Multiprocess.Celery.Tests.Support;

/// <summary>Starts <c>multiprocess celery worker</c> (the built command) and waits for its READY.</summary>
public static class CSharpWorkerProcess
{
    /// <summary>Starts a worker process.</summary>
    /// <param name="broker">Broker URL.</param>
    /// <param name="queues">Queues, comma-separated.</param>
    /// <param name="extra">More arguments.</param>
    /// <returns>The running worker.</returns>
    public static ChildProcess Start(string broker, string queues, params string[] extra)
    {
        var worker = ChildProcess.Start(EngineCommands.Cli, ["celery", "worker", "--broker", broker, "--queues", queues, .. extra]);
        worker.WaitForLine("READY", TimeSpan.FromSeconds(30));
        return worker;
    }

    /// <summary>Formats a number for a command line.</summary>
    /// <param name="value">The number.</param>
    /// <returns>Invariant text.</returns>
    public static string Arg(double value) => value.ToString(CultureInfo.InvariantCulture);
}
