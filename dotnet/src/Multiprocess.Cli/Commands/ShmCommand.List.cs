using System.Globalization;
using System.Text.Json;
using Multiprocess.Shm;
using Multiprocess.Synchronize;

namespace Multiprocess.Cli.Commands;

/// <content><c>shm ls [--json]</c>: segments (with whether each holds a ShareableList) and semaphores.</content>
internal sealed partial class ShmCommand
{
    private static int List(string[] rest)
    {
        var args = rest.ToList();
        var json = Flag(args, "--json");
        if (args.Count > 0)
        {
            throw new UsageException($"unexpected argument '{args[0]}'");
        }

        var entries = Directory.Exists(ShmDirectory)
            ? new DirectoryInfo(ShmDirectory).EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal).Select(Describe).ToList()
            : [];
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(entries.Select(e => e.ToJson()).ToList()));
            return 0;
        }

        Console.WriteLine($"{"NAME",-24} {"KIND",-10} {"SIZE",12}  CONTENT");
        foreach (var e in entries)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{e.Name,-24} {e.Kind,-10} {e.Size,12}  {e.Content}"));
        }

        return 0;
    }

    private static Entry Describe(FileInfo file)
    {
        // glibc keeps a named semaphore "/mp-x" as the file "sem.mp-x"; everything else is a shm_open segment.
        if (file.Name.StartsWith("sem.", StringComparison.Ordinal))
        {
            var name = "/" + file.Name[4..];
            int? value = null;
            try
            {
                using var sem = SemLock.Rebuild(SemLockKind.Semaphore, SemLock.SemValueMax, name);
                value = sem.GetValue();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another user's semaphore, or it vanished meanwhile: list it without a value.
            }

            return new Entry(name, "semaphore", file.Length, value is { } v ? $"value={v}" : "value=?", value, null, null);
        }

        try
        {
            using var view = SegmentView.Open(ShmDirectory, file.Name);
            if (view is not null && view.Length <= int.MaxValue
                && ShareableList.IsShareableList(view.Span, out var layout, out var count, out _))
            {
                var version = layout == ShareableListLayout.Sizes ? "3.8" : "3.9+";
                return new Entry(file.Name, "segment", file.Length, $"ShareableList ({count} items, {version} layout)", null, version, count);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new Entry(file.Name, "segment", file.Length, "?", null, null, null);
        }

        return new Entry(file.Name, "segment", file.Length, "", null, null, null);
    }

    private sealed record Entry(string Name, string Kind, long Size, string Content, int? Value, string? ListLayout, int? ListItems)
    {
        public Dictionary<string, object?> ToJson()
        {
            var d = new Dictionary<string, object?> { ["name"] = Name, ["kind"] = Kind, ["size"] = Size };
            if (Kind == "semaphore")
            {
                d["value"] = Value;
            }
            else
            {
                d["shareable_list"] = ListLayout is null ? null : new Dictionary<string, object?> { ["layout"] = ListLayout, ["items"] = ListItems };
            }

            return d;
        }
    }
}
