using System.Diagnostics;
using System.Text;
using SyncGateway.Gateway.Tests.Proxy;

namespace SyncGateway.Gateway.Tests.Daemon;

/// <summary><c>syncgateway serve</c> as a child process, so that it can be killed with SIGKILL.</summary>
internal sealed class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServeProcess(Process process) => _process = process;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public int ProcessId => _process.Id;

    /// <summary>Asks the daemon to reload its configuration, as an operator's <c>kill -HUP</c> does.</summary>
    public void Hangup()
    {
        using var kill = Process.Start("kill", ["-HUP", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Open sockets of the process (from <c>/proc/PID/fd</c>).</summary>
    public int OpenSockets() =>
        new DirectoryInfo($"/proc/{_process.Id}/fd").EnumerateFileSystemInfos()
            .Count(fd => fd.LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true);

    public static async Task<ServeProcess> StartAsync(string config, int port)
    {
        var binary = Path.Combine(AppContext.BaseDirectory, "syncgateway.dll");
        var info = new ProcessStartInfo("dotnet", [binary, "serve", "--config", config]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var serve = new ServeProcess(Process.Start(info) ?? throw new InvalidOperationException("serve did not start"));
        serve._process.OutputDataReceived += (_, e) => serve.Append(e.Data);
        serve._process.ErrorDataReceived += (_, e) => serve.Append(e.Data);
        serve._process.BeginOutputReadLine();
        serve._process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var up = await Wait.UntilAsync(async () =>
        {
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{port}/healthz");
                return response.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
            catch (TaskCanceledException)
            {
                // listening but not answering within 2 s yet (a process starting on a busy machine)
                return false;
            }
        }, seconds: 20);
        return up ? serve : throw new InvalidOperationException($"serve did not come up: {serve.Output}");
    }

    /// <summary>SIGKILL: no shutdown, no flushing, nothing but what was already on disk.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
