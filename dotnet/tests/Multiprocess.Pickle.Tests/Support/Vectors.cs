using System.Text.Json;

namespace Multiprocess.Pickle.Tests.Support;

/// <summary>The golden vectors in interop-tests/vectors/cases (made by gen_vectors.py with CPython 3.8–3.14).</summary>
public static class Vectors
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    public static string Root => s_root.Value;

    public static string CasesDirectory => Path.Combine(Root, "interop-tests", "vectors", "cases");

    public static IEnumerable<string> CaseNames =>
        Directory.GetDirectories(CasesDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    public static VectorCase Load(string name)
    {
        var folder = Path.Combine(CasesDirectory, name);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected.json")), new JsonDocumentOptions { MaxDepth = 2000 });
        var root = doc.RootElement;
        var values = root.GetProperty("values").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        var reprs = root.GetProperty("reprs").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        var variants = new List<Variant>();
        foreach (var v in root.GetProperty("variants").EnumerateArray())
        {
            if (v.TryGetProperty("error", out _))
            {
                continue;
            }

            var stem = v.GetProperty("pickle").GetString()!;
            variants.Add(new Variant(
                v.GetProperty("version").GetString()!,
                v.GetProperty("protocol").GetInt32(),
                stem,
                File.ReadAllBytes(Path.Combine(folder, stem + ".pickle")),
                File.ReadAllText(Path.Combine(folder, stem + ".dis")),
                values[v.GetProperty("value").GetString()!],
                reprs[v.GetProperty("repr").GetString()!]));
        }

        return new VectorCase(name, variants);
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Multiprocess.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Multiprocess.sln not found above " + AppContext.BaseDirectory);
    }
}

public sealed record VectorCase(string Name, IReadOnlyList<Variant> Variants);

public sealed record Variant(string Version, int Protocol, string Stem, byte[] Pickle, string Dis, JsonElement Value, string Repr)
{
    public override string ToString() => $"CPython {Version} protocol {Protocol} ({Stem})";
}
