using Multiprocess.ResourceTracking;
using Multiprocess.TestUtilities;

namespace Multiprocess.Tests;

/// <summary>
/// Points this test process's resource tracker (and the children's, through $MULTIPROCESS_CLI) at the built
/// <c>multiprocess</c> command, and stops it at the end so that it cleans up whatever a failed test left behind.
/// </summary>
[SetUpFixture]
public sealed class EngineSetUp
{
    [OneTimeSetUp]
    public void PointTrackerAtBuiltCommand()
    {
        Environment.SetEnvironmentVariable(ResourceTrackerLauncher.CommandVariable, EngineCommands.Cli);
        ResourceTracker.Default.Launcher = ResourceTrackerLauncher.Engine(EngineCommands.Cli);
    }

    [OneTimeTearDown]
    public void StopTracker() => ResourceTracker.Default.Stop();
}
