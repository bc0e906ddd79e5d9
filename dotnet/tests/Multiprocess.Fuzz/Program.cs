using Multiprocess.Fuzz;
using SharpFuzz;

// multiprocess-fuzz: the fuzz targets (docs/fuzzing.md).
//   list                         the targets
//   run TARGET                   the program AFL++ starts (SharpFuzz's forkserver side; scripts/fuzz.sh)
//   seeds TARGET DIR [REPO]      writes the target's starting inputs into DIR (REPO: the repository root, default .)
//   replay TARGET PATH...        runs saved inputs (files, or every file in a folder); exit 1 when any fails
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: multiprocess-fuzz list | run TARGET | seeds TARGET DIR [REPO] | replay TARGET PATH...");
    return args.Length == 0 ? 2 : 0;
}

try
{
    switch (args[0])
    {
        case "list":
            foreach (var t in FuzzTarget.All)
            {
                Console.WriteLine($"{t.Name,-18} {t.What}");
            }

            return 0;
        case "run" when args.Length == 2:
            var target = FuzzTarget.Find(args[1]);
            Fuzzer.OutOfProcess.Run(stream =>
            {
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                target.Execute(buffer.ToArray());
            });
            return 0;
        case "seeds" when args.Length is 3 or 4:
            Directory.CreateDirectory(args[2]);
            var written = 0;
            foreach (var (name, data) in FuzzTarget.Find(args[1]).Seeds(args.Length == 4 ? args[3] : "."))
            {
                File.WriteAllBytes(Path.Combine(args[2], "seed-" + name), data);
                written++;
            }

            Console.WriteLine($"{args[1]}: {written} seeds in {args[2]}");
            return written > 0 ? 0 : 1;
        case "replay" when args.Length >= 3:
            return Replay(FuzzTarget.Find(args[1]), args[2..]);
        default:
            Console.Error.WriteLine($"multiprocess-fuzz: bad arguments: {string.Join(' ', args)} (--help)");
            return 2;
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"multiprocess-fuzz: {e.Message}");
    return 2;
}

static int Replay(FuzzTarget target, string[] paths)
{
    var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]).ToList();
    var failed = 0;
    foreach (var file in files)
    {
        try
        {
            target.Execute(File.ReadAllBytes(file));
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine($"FAIL {file}: {e.GetType().Name}: {e.Message}");
        }
    }

    Console.WriteLine($"{target.Name}: {files.Count - failed} of {files.Count} inputs handled cleanly");
    return failed == 0 ? 0 : 1;
}
