using Multiprocess.TestUtilities;

namespace Multiprocess.Tests.Architecture;

/// <summary>
/// The engine's folders form no cycle, and the arrows docs/architecture.md names hold. A folder is a component
/// (each of <c>Managers/</c>'s subfolders is one of its own); its namespace is its folder (IDE0130), so a file reaches
/// another component only through <c>using Multiprocess.X</c> or a name qualified with <c>X.</c>, which is what
/// <see cref="FolderGraph"/> reads (comments and strings aside).
/// </summary>
[TestFixture]
public sealed class FolderLayeringTests
{
    private static readonly Lazy<FolderGraph> s_engine = new(() =>
        FolderGraph.Read(Path.Combine(EngineCommands.RepoRoot, "dotnet", "src", "Multiprocess")));

    [Test]
    public void NoCycleBetweenEngineFolders()
    {
        var cycle = s_engine.Value.FindCycle();
        Assert.That(cycle, Is.Null, () => "folder cycle: " + s_engine.Value.Describe(cycle!));
    }

    [TestCase("Managers.Referents", "Managers.Server")]
    [TestCase("Managers.Referents", "Managers.Client")]
    [TestCase("Managers.Referents", "Managers.Hosting")]
    [TestCase("Managers.Client", "Managers.Server")]
    [TestCase("Queues", "Processes")]
    [TestCase("Synchronize", "Processes")]
    [TestCase("Shm", "Processes")]
    [TestCase("Reduction", "Processes")]
    [TestCase("Connection", "Managers.Protocol")]
    public void DocumentedArrowIsAbsent(string from, string to)
    {
        Assert.That(s_engine.Value.Uses(from, to), Is.Empty, $"{from} must not use {to} (docs/architecture.md)");
    }

    /// <summary>The reader sees the edges that are there: otherwise the tests above would pass on a graph read wrong.</summary>
    [TestCase("Queues", "Synchronize")]
    [TestCase("Queues", "Reduction")]
    [TestCase("Managers.Server", "Managers.Referents")]
    [TestCase("Managers.Client", "Managers.Protocol")]
    [TestCase("SharedCTypes", "Shm")]
    public void KnownArrowIsSeen(string from, string to)
    {
        Assert.That(s_engine.Value.Uses(from, to), Is.Not.Empty, $"{from} uses {to}, but the reader did not see it");
    }

    [Test]
    public void EveryFileIsInTheNamespaceOfItsFolder()
    {
        Assert.That(s_engine.Value.Misplaced, Is.Empty);
    }

    /// <summary>The check fails on a cycle, and names the files that make it.</summary>
    [Test]
    public void FindCycleReportsACycle()
    {
        var root = Directory.CreateTempSubdirectory("mp-layering-");
        try
        {
            Write(root.FullName, "A/One.cs", "using Multiprocess.B;\nnamespace Multiprocess.A;\nclass One { Two? t; }");
            Write(root.FullName, "B/Two.cs", "namespace Multiprocess.B;\nclass Two { C.Three? t; }");
            Write(root.FullName, "C/Three.cs", "namespace Multiprocess.C;\n// using Multiprocess.A; in a comment is no edge\nclass Three { string s = \"Multiprocess.A.One\"; }");
            var graph = FolderGraph.Read(root.FullName);
            Assert.That(graph.FindCycle(), Is.Null);

            Write(root.FullName, "C/Back.cs", "namespace Multiprocess.C;\nclass Back { Multiprocess.A.One? o; }");
            graph = FolderGraph.Read(root.FullName);
            var cycle = graph.FindCycle();
            Assert.That(cycle, Is.EquivalentTo(new[] { "A", "B", "C" }));
            Assert.That(graph.Describe(cycle!), Does.Contain("C/Back.cs"));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static void Write(string root, string path, string text)
    {
        var full = Path.Combine(root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }
}
