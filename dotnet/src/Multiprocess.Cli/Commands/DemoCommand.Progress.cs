using System.Diagnostics;
using System.Globalization;

namespace Multiprocess.Cli.Commands;

/// <content>Progress of the demo: one updating line on a terminal, a plain line per tenth otherwise.</content>
internal static partial class DemoCommand
{
    private sealed class Progress(int total, Stopwatch watch)
    {
        private const int BarWidth = 30;
        private readonly bool _terminal = !Console.IsOutputRedirected;
        private TimeSpan _lastDraw = TimeSpan.FromDays(-1);
        private int _lastTenth = -1;

        public void Report(int done)
        {
            if (_terminal)
            {
                if (done == total || watch.Elapsed - _lastDraw >= TimeSpan.FromMilliseconds(100))
                {
                    _lastDraw = watch.Elapsed;
                    var filled = total == 0 ? BarWidth : done * BarWidth / total;
                    Console.Write(string.Create(CultureInfo.InvariantCulture,
                        $"\r[{new string('#', filled)}{new string('.', BarWidth - filled)}] {done}/{total} tasks  {watch.Elapsed.TotalSeconds:F1} s "));
                }

                return;
            }

            var tenth = total == 0 ? 10 : done * 10 / total;
            if (tenth != _lastTenth)
            {
                _lastTenth = tenth;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"progress: {done}/{total} tasks, {watch.Elapsed.TotalSeconds:F1} s"));
            }
        }

        public void Finish()
        {
            if (_terminal)
            {
                Console.WriteLine();
            }
        }
    }
}
