using System.Diagnostics;
using System.Text;

namespace SyncGateway.Testing;

/// <summary>
/// A real forward proxy (Debian's <c>tinyproxy</c>) on a free loopback port, in the foreground,
/// with its own configuration and log, until disposed. Plain HTTP goes through it as absolute-form
/// requests, HTTPS as CONNECT tunnels; its log says which.
/// </summary>
public sealed class TinyProxy : IAsyncDisposable
{
    public const string Binary = "tinyproxy";
    private readonly Process _process;
    private readonly string _folder;

    private TinyProxy(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}");

    /// <summary>What tinyproxy logged so far (each request line and CONNECT it handled).</summary>
    public string Log
    {
        get
        {
            var path = Path.Combine(_folder, "tinyproxy.log");
            if (!File.Exists(path))
            {
                return string.Empty;
            }

            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
    }

    public static async Task<TinyProxy> StartAsync()
    {
        var binary = new[] { "/usr/bin/tinyproxy", "/usr/sbin/tinyproxy" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"The proxy tests need '{Binary}': install it with 'apt-get install tinyproxy' (scripts/install-prerequisites.sh does).");
        for (var attempt = 1; ; attempt++)
        {
            var folder = Directory.CreateTempSubdirectory("syncgateway-tinyproxy-").FullName;
            var port = RegistryProcess.FreePort();
            var config = Path.Combine(folder, "tinyproxy.conf");
            await File.WriteAllTextAsync(config, $"""
                Port {port}
                Listen 127.0.0.1
                Timeout 600
                MaxClients 200
                Allow 127.0.0.1
                DisableViaHeader Yes
                LogLevel Info
                LogFile "{Path.Combine(folder, "tinyproxy.log")}"
                PidFile "{Path.Combine(folder, "tinyproxy.pid")}"
                """).ConfigureAwait(false);
            var info = new ProcessStartInfo(binary, ["-d", "-c", config]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            var process = Process.Start(info) ?? throw new InvalidOperationException("tinyproxy did not start");
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var proxy = new TinyProxy(process, folder, port);
            if (await proxy.ListeningAsync().ConfigureAwait(false))
            {
                return proxy;
            }

            await proxy.DisposeAsync().ConfigureAwait(false);
            if (attempt == 5)
            {
                throw new InvalidOperationException($"tinyproxy did not listen on 127.0.0.1:{port}");
            }
        }
    }

    private async Task<bool> ListeningAsync()
    {
        for (var i = 0; i < 50; i++)
        {
            if (_process.HasExited)
            {
                return false;
            }

            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(System.Net.IPAddress.Loopback, Port).ConfigureAwait(false);
                return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(100).ConfigureAwait(false);
            }
        }

        return false;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // a log still being written: the temporary folder is cleaned up by the system
        }
    }
}
