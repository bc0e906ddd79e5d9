using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Multiprocess.Shm;
using Multiprocess.Synchronize;

namespace Multiprocess.Cli.Commands;

/// <content><c>shm ls [--json]</c>: segments (with whether each holds a ShareableList) and semaphores.</content>
internal static partial class ShmCommand
{
    private static CliCommand CreateList()
    {
        var json = new Option<bool>("--json") { Description = "a JSON array of {name, kind, size, value | shareable_list}" };
        var command = new CliCommand("ls", "list segments (and which hold a ShareableList) and multiprocessing semaphores") { json };
        command.SetAction(r => List(r.GetValue(json)));
        return command;
    }

    private static int List(bool json)
    {
        var entries = Directory.Exists(ShmDirectory)
            ? new DirectoryInfo(ShmDirectory).EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal).Select(Describe).OfType<Entry>().ToList()
            : [];
        if (json)
        {
            Console.WriteLine(ToJson(entries));
            return 0;
        }

        Console.WriteLine($"{"NAME",-24} {"KIND",-10} {"SIZE",12}  CONTENT");
        foreach (var e in entries)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{e.Name,-24} {e.Kind,-10} {e.Size,12}  {e.Content}"));
        }

        return 0;
    }

    private static string ToJson(List<Entry> entries)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var e in entries)
            {
                e.WriteJson(w);
            }

            w.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <returns>The entry, or null when the file is gone by the time it is looked at (another process unlinked the
    /// segment or semaphore after the directory was read).</returns>
    private static Entry? Describe(FileInfo file)
    {
        long size;
        try
        {
            size = file.Length;   // stat(2) now: the listing only named the file
        }
        catch (FileNotFoundException)
        {
            return null;
        }

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

            return new Entry(name, "semaphore", size, value is { } v ? $"value={v}" : "value=?", value, null, null);
        }

        try
        {
            using var view = SegmentView.Open(ShmDirectory, file.Name);
            if (view is not null && view.Length <= int.MaxValue
                && ShareableList.IsShareableList(view.Span, out var layout, out var count, out _))
            {
                var version = layout == ShareableListLayout.Sizes ? "3.8" : "3.9+";
                return new Entry(file.Name, "segment", size, $"ShareableList ({count} items, {version} layout)", null, version, count);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new Entry(file.Name, "segment", size, "?", null, null, null);
        }

        return new Entry(file.Name, "segment", size, "", null, null, null);
    }

    private sealed record Entry(string Name, string Kind, long Size, string Content, int? Value, string? ListLayout, int? ListItems)
    {
        /// <summary>Writes the entry as a JSON object (by hand, not by reflection: the command is also Native AOT).</summary>
        public void WriteJson(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteString("name", Name);
            w.WriteString("kind", Kind);
            w.WriteNumber("size", Size);
            if (Kind == "semaphore")
            {
                WriteNumberOrNull(w, "value", Value);
            }
            else if (ListLayout is null)
            {
                w.WriteNull("shareable_list");
            }
            else
            {
                w.WriteStartObject("shareable_list");
                w.WriteString("layout", ListLayout);
                WriteNumberOrNull(w, "items", ListItems);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        private static void WriteNumberOrNull(Utf8JsonWriter w, string name, int? value)
        {
            if (value is { } v)
            {
                w.WriteNumber(name, v);
            }
            else
            {
                w.WriteNull(name);
            }
        }
    }
}
