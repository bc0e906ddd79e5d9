using System.Text;
using System.Text.RegularExpressions;

namespace Multiprocess.Tests.Architecture;

/// <summary>
/// Which engine folder uses which, read from the C# sources under a root whose namespaces are <c>Multiprocess.…</c>:
/// a component is a top-level folder, or a subfolder of <c>Managers/</c>. A file uses a component when it has
/// <c>using Multiprocess.X…</c> (plain, static or alias), writes <c>Multiprocess.X.…</c>, or writes <c>X.T</c> where
/// T is a type declared in X (a name qualified from an enclosing namespace). Comments, strings and char literals are
/// blanked first.
/// </summary>
internal sealed partial class FolderGraph
{
    private const string Root = "Multiprocess";

    private readonly Dictionary<string, Dictionary<string, SortedSet<string>>> _edges = new(StringComparer.Ordinal);

    private FolderGraph()
    {
    }

    /// <summary>Gets the files whose namespace is not the one of their folder.</summary>
    public List<string> Misplaced { get; } = [];

    public static FolderGraph Read(string root)
    {
        var graph = new FolderGraph();
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(Path.GetRelativePath(root, f)))
            .Select(f => (Path: Path.GetRelativePath(root, f).Replace('\\', '/'), Code: Blank(File.ReadAllText(f))))
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToList();

        var declared = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var components = new List<(string Path, string Component, string Code)>();
        foreach (var (path, code) in files)
        {
            var folder = Path.GetDirectoryName(path)!.Replace('/', '.');
            var expected = folder.Length == 0 ? Root : Root + "." + folder;
            var ns = NamespaceRegex().Match(code) is { Success: true } m ? m.Groups[1].Value : "";
            if (ns != expected)
            {
                graph.Misplaced.Add($"{path}: namespace '{ns}', folder says '{expected}'");
            }

            var component = ComponentOf(ns);
            components.Add((path, component, code));
            if (!declared.TryGetValue(component, out var types))
            {
                declared[component] = types = new HashSet<string>(StringComparer.Ordinal);
            }

            foreach (Match d in DeclarationRegex().Matches(code))
            {
                types.Add(d.Groups[1].Value);
            }
        }

        foreach (var (path, component, code) in components)
        {
            foreach (Match u in UsingRegex().Matches(code))
            {
                graph.Add(component, ComponentOf(u.Groups[1].Value), path);
            }

            var body = UsingRegex().Replace(code, "");
            foreach (Match q in QualifiedRegex().Matches(body))
            {
                graph.Add(component, ComponentOf(q.Groups[1].Value), path);
            }

            foreach (Match p in PartialRegex().Matches(body))
            {
                var (first, second, third) = (p.Groups[1].Value, p.Groups[2].Value, p.Groups[3].Value);
                if (first == "Managers" && third.Length > 0 && IsDeclaredIn(declared, "Managers." + second, third))
                {
                    graph.Add(component, "Managers." + second, path);
                }
                else if (IsDeclaredIn(declared, first, second))
                {
                    graph.Add(component, first, path);
                }
                else if (component.StartsWith("Managers.", StringComparison.Ordinal) && IsDeclaredIn(declared, "Managers." + first, second))
                {
                    graph.Add(component, "Managers." + first, path);
                }
            }
        }

        // Only components read here count: Multiprocess.Pickle and the like are other assemblies.
        foreach (var targets in graph._edges.Values)
        {
            foreach (var target in targets.Keys.Where(t => !declared.ContainsKey(t)).ToList())
            {
                targets.Remove(target);
            }
        }

        return graph;
    }

    /// <summary>The files of <paramref name="from"/> that use <paramref name="to"/>.</summary>
    public IReadOnlyCollection<string> Uses(string from, string to) =>
        _edges.TryGetValue(from, out var targets) && targets.TryGetValue(to, out var files) ? files : [];

    /// <summary>A cycle as the components along it (the last uses the first), or null when there is none.</summary>
    public List<string>? FindCycle()
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new List<string>();
        foreach (var node in _edges.Keys.Order(StringComparer.Ordinal))
        {
            if (Visit(node, state, path) is { } cycle)
            {
                return cycle;
            }
        }

        return null;
    }

    /// <summary>The cycle with the files that make each arrow.</summary>
    public string Describe(IReadOnlyList<string> cycle)
    {
        var text = new StringBuilder();
        for (var i = 0; i < cycle.Count; i++)
        {
            var (from, to) = (cycle[i], cycle[(i + 1) % cycle.Count]);
            text.Append(from).Append(" -> ").Append(to).Append(" (").AppendJoin(", ", Uses(from, to).Take(4)).Append("); ");
        }

        return text.ToString();
    }

    private static bool IsBuildOutput(string relative) =>
        relative.Split(Path.DirectorySeparatorChar, '/')[0] is "bin" or "obj";

    private static bool IsDeclaredIn(Dictionary<string, HashSet<string>> declared, string component, string type) =>
        declared.TryGetValue(component, out var types) && types.Contains(type);

    /// <summary>The component of a namespace (or a name under it): <c>Multiprocess.Queues.X</c> → <c>Queues</c>,
    /// <c>Multiprocess.Managers.Client.Proxies</c> → <c>Managers.Client</c>; the root namespace → "".</summary>
    private static string ComponentOf(string name)
    {
        var parts = name.Split('.');
        var start = parts.Length > 0 && parts[0] == "global::" + Root ? 1 : parts[0] == Root ? 1 : 0;
        if (parts.Length <= start)
        {
            return "";
        }

        return parts[start] == "Managers" && parts.Length > start + 1 ? "Managers." + parts[start + 1] : parts[start];
    }

    private List<string>? Visit(string node, Dictionary<string, int> state, List<string> path)
    {
        switch (state.GetValueOrDefault(node))
        {
            case 1:
                return path[path.IndexOf(node)..];
            case 2:
                return null;
        }

        state[node] = 1;
        path.Add(node);
        if (_edges.TryGetValue(node, out var targets))
        {
            foreach (var next in targets.Keys.Order(StringComparer.Ordinal))
            {
                if (Visit(next, state, path) is { } cycle)
                {
                    return cycle;
                }
            }
        }

        path.RemoveAt(path.Count - 1);
        state[node] = 2;
        return null;
    }

    private void Add(string from, string to, string file)
    {
        if (from == to || to.Length == 0)
        {
            return;
        }

        if (!_edges.TryGetValue(from, out var targets))
        {
            _edges[from] = targets = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        }

        if (!targets.TryGetValue(to, out var files))
        {
            targets[to] = files = new SortedSet<string>(StringComparer.Ordinal);
        }

        files.Add(file);
    }

    /// <summary>The code with comments, strings (regular, verbatim, raw, interpolated) and char literals blanked, so
    /// that only code is read.</summary>
    private static string Blank(string code)
    {
        var text = new StringBuilder(code.Length);
        var i = 0;
        while (i < code.Length)
        {
            var c = code[i];
            var next = i + 1 < code.Length ? code[i + 1] : '\0';
            if (c == '/' && next == '/')
            {
                i = End(code.IndexOf('\n', i));
            }
            else if (c == '/' && next == '*')
            {
                i = End(code.IndexOf("*/", i + 2, StringComparison.Ordinal), 2);
            }
            else if (c == '"' && next == '"' && i + 2 < code.Length && code[i + 2] == '"')
            {
                var quotes = 0;
                while (i + quotes < code.Length && code[i + quotes] == '"')
                {
                    quotes++;
                }

                i = End(code.IndexOf(new string('"', quotes), i + quotes, StringComparison.Ordinal), quotes);
            }
            else if (c == '@' && next == '"' || c == '@' && next == '$' || c == '$' && next == '@')
            {
                i = code.IndexOf('"', i) + 1;
                while (i < code.Length && !(code[i] == '"' && (i + 1 >= code.Length || code[i + 1] != '"')))
                {
                    i += code[i] == '"' ? 2 : 1;
                }

                i++;
            }
            else if (c is '"' or '\'')
            {
                i++;
                while (i < code.Length && code[i] != c && code[i] != '\n')
                {
                    i += code[i] == '\\' ? 2 : 1;
                }

                i++;
            }
            else
            {
                text.Append(c);
                i++;
                continue;
            }

            text.Append(' ');
        }

        return text.ToString();

        int End(int found, int length = 1) => found < 0 ? code.Length : found + length;
    }

    [GeneratedRegex(@"^\s*namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceRegex();

    [GeneratedRegex(@"\b(?:class|struct|interface|enum|record|delegate\s+[\w<>?,\s]+?)\s+([A-Za-z_]\w*)")]
    private static partial Regex DeclarationRegex();

    [GeneratedRegex(@"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?((?:global::)?Multiprocess(?:\.\w+)*)\s*;", RegexOptions.Multiline)]
    private static partial Regex UsingRegex();

    [GeneratedRegex(@"(?<![\w.])((?:global::)?Multiprocess(?:\.\w+)+)")]
    private static partial Regex QualifiedRegex();

    [GeneratedRegex(@"(?<![\w.:])([A-Z]\w*)\.([A-Z]\w*)(?:\.([A-Z]\w*))?")]
    private static partial Regex PartialRegex();
}
