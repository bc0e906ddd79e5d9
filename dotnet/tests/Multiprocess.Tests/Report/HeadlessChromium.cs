using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Multiprocess.Tests.Report;

/// <summary>
/// Debian's Chromium, headless, driven over the DevTools protocol (a WebSocket, no driver): opens one page, evaluates
/// JavaScript in it, takes a full-page screenshot. Started with the flags this machine needs (no sandbox as root, no
/// background networking: the network is closed) and a fresh profile folder, removed with the browser.
/// </summary>
internal sealed partial class HeadlessChromium : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private int _nextId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>Gets the browser's path (Debian's package chromium, installed by scripts/setup.sh).</summary>
    public static string Executable => "/usr/bin/chromium";

    /// <summary>Starts the browser on a URL and connects to that page's DevTools endpoint.</summary>
    /// <exception cref="FileNotFoundException">Chromium is not installed.</exception>
    public static HeadlessChromium Open(string url, int width, int height)
    {
        if (!File.Exists(Executable))
        {
            throw new FileNotFoundException($"{Executable} is missing: scripts/setup.sh installs Debian's chromium", Executable);
        }

        var profile = Path.Combine(Path.GetTempPath(), "mp-chromium-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(profile);
        var psi = new ProcessStartInfo(Executable) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + profile,
                     $"--window-size={width},{height}", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank",
                 })
        {
            psi.ArgumentList.Add(arg);
        }

        var process = Process.Start(psi)!;
        var browser = new HeadlessChromium(process, profile);
        try
        {
            var port = browser.ReadDevToolsPort();
            browser.ConnectToPage(port);

            // Navigated here rather than on the command line: the reply comes once the new document is committed, so
            // nothing is evaluated in the blank page that precedes it.
            var navigated = browser.Send("Page.navigate", new { url });
            if (navigated.TryGetProperty("errorText", out var error))
            {
                throw new InvalidOperationException($"chromium could not open {url}: {error}");
            }

            return browser;
        }
        catch
        {
            browser.Dispose();
            throw;
        }
    }

    /// <summary>Evaluates an expression in the page (promises awaited) and returns its value as JSON.</summary>
    public JsonElement Evaluate(string expression)
    {
        var result = Send("Runtime.evaluate", new { expression, returnByValue = true, awaitPromise = true });
        if (result.TryGetProperty("exceptionDetails", out var error))
        {
            throw new InvalidOperationException($"the page threw: {error}");
        }

        return result.GetProperty("result").GetProperty("value");
    }

    /// <summary>Takes a screenshot of the whole page (beyond the window) and returns the PNG.</summary>
    public byte[] Screenshot()
    {
        var size = Send("Page.getLayoutMetrics", new { }).GetProperty("cssContentSize");
        var clip = new { x = 0, y = 0, width = size.GetProperty("width").GetDouble(), height = size.GetProperty("height").GetDouble(), scale = 1 };
        var result = Send("Page.captureScreenshot", new { format = "png", captureBeyondViewport = true, clip });
        return Convert.FromBase64String(result.GetProperty("data").GetString()!);
    }

    public void Dispose()
    {
        _socket.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit();
        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // A helper process may still be writing its last file: the folder is in the temporary directory anyway.
        }
    }

    [GeneratedRegex(@"DevTools listening on ws://[^:/]+:(\d+)/")]
    private static partial Regex DevToolsLine();

    private int ReadDevToolsPort()
    {
        var deadline = DateTime.UtcNow + s_timeout;
        var seen = new StringBuilder();
        while (DateTime.UtcNow < deadline)
        {
            var line = _process.StandardError.ReadLineAsync();
            if (!line.Wait(deadline - DateTime.UtcNow) || line.Result is null)
            {
                break;
            }

            seen.AppendLine(line.Result);
            if (DevToolsLine().Match(line.Result) is { Success: true } m)
            {
                // Keep draining stderr so that the browser never blocks on a full pipe.
                _ = _process.StandardError.ReadToEndAsync();
                _ = _process.StandardOutput.ReadToEndAsync();
                return int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"chromium did not open its DevTools port within {s_timeout.TotalSeconds:F0} s:\n{seen}");
    }

    private void ConnectToPage(int port)
    {
        using var http = new HttpClient { Timeout = s_timeout };
        var deadline = DateTime.UtcNow + s_timeout;
        while (true)
        {
            var targets = JsonDocument.Parse(http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/json/list")).Result).RootElement;
            foreach (var t in targets.EnumerateArray())
            {
                if (t.GetProperty("type").GetString() == "page" && t.TryGetProperty("webSocketDebuggerUrl", out var ws))
                {
                    _socket.ConnectAsync(new Uri(ws.GetString()!), CancellationToken.None).Wait(s_timeout);
                    return;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"chromium shows no page: {targets}");
            }

            Thread.Sleep(200);
        }
    }

    private JsonElement Send(string method, object parameters)
    {
        var id = ++_nextId;
        var request = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["id"] = id, ["method"] = method, ["params"] = parameters });
        using var cts = new CancellationTokenSource(s_timeout);
        _socket.SendAsync(request, WebSocketMessageType.Text, true, cts.Token).Wait(cts.Token);
        var buffer = new byte[1 << 16];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = _socket.ReceiveAsync(buffer, cts.Token).Result;
                message.Write(buffer, 0, received.Count);
            }
            while (!received.EndOfMessage);

            var reply = JsonDocument.Parse(message.ToArray()).RootElement;
            if (reply.TryGetProperty("id", out var replyId) && replyId.GetInt32() == id)
            {
                return reply.TryGetProperty("error", out var error)
                    ? throw new InvalidOperationException($"{method}: {error}")
                    : reply.GetProperty("result").Clone();
            }
        }
    }
}
