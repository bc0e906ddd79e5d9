using System.Xml.Linq;

namespace Multiprocess.Benchmarks.Report;

/// <summary>How one test case ended.</summary>
public enum Outcome
{
    /// <summary>It passed.</summary>
    Passed,

    /// <summary>It failed or errored.</summary>
    Failed,

    /// <summary>It was skipped (the message says why).</summary>
    Skipped,
}

/// <summary>One test case of one env: its id (<c>file::name[param]</c> or <c>Namespace.Class.Method</c>), outcome and message.</summary>
public sealed record TestCase(string Env, string Id, Outcome Outcome, string Message);

/// <summary>
/// Reads the JUnit XML that a test run writes, one file per env (pytest's <c>--junitxml</c> per tox env, named
/// <c>ENV.xml</c>; the NUnit assemblies through JunitXml.TestLogger, named <c>dotnet-ASSEMBLY.xml</c>).
/// </summary>
public static class TestResults
{
    /// <summary>The envs of a folder's results: each <c>*.xml</c>'s name without <c>.xml</c>, in ordinal order.</summary>
    public static List<string> Envs(string folder) =>
        Directory.GetFiles(folder, "*.xml").Order(StringComparer.Ordinal).Select(f => Path.GetFileNameWithoutExtension(f)).ToList();

    /// <summary>Reads every <c>*.xml</c> of a folder; the env is the file name without <c>.xml</c>.</summary>
    /// <exception cref="InvalidDataException">A file is not JUnit XML (names the file).</exception>
    public static List<TestCase> ReadFolder(string folder)
    {
        var cases = new List<TestCase>();
        foreach (var file in Directory.GetFiles(folder, "*.xml").Order(StringComparer.Ordinal))
        {
            cases.AddRange(ReadFile(file, Path.GetFileNameWithoutExtension(file)));
        }

        return cases;
    }

    /// <summary>Reads one JUnit XML file.</summary>
    public static IEnumerable<TestCase> ReadFile(string path, string env)
    {
        XDocument doc;
        try
        {
            doc = XDocument.Load(path);
        }
        catch (System.Xml.XmlException e)
        {
            throw new InvalidDataException($"{path}: not XML ({e.Message})", e);
        }

        if (doc.Root?.Name.LocalName is not ("testsuites" or "testsuite"))
        {
            throw new InvalidDataException($"{path}: not JUnit XML (root element <{doc.Root?.Name.LocalName}>)");
        }

        foreach (var tc in doc.Descendants("testcase"))
        {
            var classname = (string?)tc.Attribute("classname") ?? "";
            var name = (string?)tc.Attribute("name") ?? "";
            var failure = tc.Element("failure") ?? tc.Element("error");
            var skipped = tc.Element("skipped");
            var (outcome, node) = failure is not null ? (Outcome.Failed, failure) : skipped is not null ? (Outcome.Skipped, skipped) : (Outcome.Passed, null);
            var message = node is null ? "" : FirstNonEmpty((string?)node.Attribute("message"), node.Value);
            yield return new TestCase(env, Identify(classname, name), outcome, message);
        }
    }

    /// <summary>
    /// One id form for both runners: pytest's classname <c>interop-tests.test_shm</c> (or <c>test_x.TestClass</c>) and
    /// name become <c>test_shm.py::name</c> (<c>test_x.py::TestClass::name</c>); NUnit's stay <c>Namespace.Class.Method</c>.
    /// </summary>
    public static string Identify(string classname, string name)
    {
        var parts = classname.Split('.');
        var module = Array.FindLastIndex(parts, p => p.StartsWith("test_", StringComparison.Ordinal));
        if (module < 0)
        {
            return classname.Length == 0 ? name : name.StartsWith(classname, StringComparison.Ordinal) ? name : classname + "." + name;
        }

        var rest = parts.Skip(module + 1).Select(p => p + "::");
        return parts[module] + ".py::" + string.Concat(rest) + name;
    }

    private static string FirstNonEmpty(string? a, string? b)
    {
        var text = !string.IsNullOrWhiteSpace(a) ? a : b ?? "";
        text = text.Trim();
        return text.Length > 600 ? text[..600] + "…" : text;
    }
}
