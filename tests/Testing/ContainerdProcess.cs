using System.Diagnostics;
using System.Text;

namespace SyncGateway.Testing;

/// <summary>
/// A real containerd daemon (Debian's <c>containerd</c>: the kubelet's image service) with its
/// own root, state, socket and configuration under a temporary folder, without the CRI plugin,
/// until disposed; <c>ctr</c> talks to it. Images are unpacked with the <c>native</c> snapshotter,
/// which needs no mounts. Fails loudly when containerd or ctr is missing.
/// </summary>
public sealed class ContainerdProcess : IAsyncDisposable
{
    public const string Binary = "containerd";
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ContainerdProcess(Process process, string folder)
    {
        _process = process;
        Folder = folder;
    }

    public string Folder { get; }

    public string Socket => Path.Combine(Folder, "containerd.sock");

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

    public static async Task<ContainerdProcess> StartAsync()
    {
        foreach (var tool in new[] { Binary, "ctr" })
        {
            if (!new[] { "/usr/bin", "/usr/local/bin", "/usr/sbin" }.Any(d => File.Exists(Path.Combine(d, tool))))
            {
                throw new InvalidOperationException($"The containerd tests need '{tool}': install it with 'apt-get install containerd' (scripts/install-prerequisites.sh does).");
            }
        }

        var folder = Directory.CreateTempSubdirectory("sg-ctd-").FullName;
        var config = Path.Combine(folder, "config.toml");
        await File.WriteAllTextAsync(config, $"""
            version = 2
            root = "{Path.Combine(folder, "root")}"
            state = "{Path.Combine(folder, "state")}"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]
            [grpc]
              address = "{Path.Combine(folder, "containerd.sock")}"
            [ttrpc]
              address = "{Path.Combine(folder, "containerd-ttrpc.sock")}"
            [debug]
              address = ""
            [metrics]
              address = ""
            """).ConfigureAwait(false);
        var info = new ProcessStartInfo(Binary, ["--config", config]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var process = Process.Start(info) ?? throw new InvalidOperationException("containerd did not start");
        var containerd = new ContainerdProcess(process, folder);
        process.OutputDataReceived += (_, e) => containerd.Append(e.Data);
        process.ErrorDataReceived += (_, e) => containerd.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (process.HasExited)
            {
                var output = containerd.Output;
                await containerd.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"containerd exited with {process.ExitCode}: {output}");
            }

            if (File.Exists(containerd.Socket) && (await containerd.CtrAsync("version").ConfigureAwait(false)).ExitCode == 0)
            {
                return containerd;
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        await containerd.DisposeAsync().ConfigureAwait(false);
        throw new InvalidOperationException($"containerd did not answer on {containerd.Socket} within 10 s: {containerd.Output}");
    }

    /// <summary>
    /// Writes <c>hosts.toml</c> for <paramref name="registry"/> under a hosts folder: the registry
    /// itself as the server, and <paramref name="mirror"/> (plain HTTP) as a mirror for pull and
    /// resolve, which is how a kubelet's containerd is pointed at a pull-through mirror. Returns the folder.
    /// </summary>
    public string WriteMirrorHosts(string registry, string mirror)
    {
        var hosts = Path.Combine(Folder, "hosts.d");
        var folder = Path.Combine(hosts, registry);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "hosts.toml"), $"""
            server = "http://{registry}"

            [host."http://{mirror}"]
              capabilities = ["pull", "resolve"]
            """);
        return hosts;
    }

    /// <summary><c>ctr images pull</c> of <paramref name="reference"/> through the hosts folder, unpacked with the native snapshotter.</summary>
    public Task<(int ExitCode, string Output)> PullAsync(string reference, string hostsDir, params string[] extra) =>
        CtrAsync(["images", "pull", "--snapshotter", "native", "--hosts-dir", hostsDir, .. extra, reference]);

    /// <summary>The target digest containerd records for an image reference, or null.</summary>
    public async Task<string?> ImageDigestAsync(string reference)
    {
        var (exitCode, output) = await CtrAsync("images", "ls").ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"ctr images ls failed: {output}");
        }

        return output.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(columns => columns.Length >= 3 && columns[0] == reference)
            .Select(columns => columns[2])
            .FirstOrDefault();
    }

    /// <summary>Whether containerd's content store holds a blob or manifest.</summary>
    public async Task<bool> HasContentAsync(string digest) => (await CtrAsync("content", "get", digest).ConfigureAwait(false)).ExitCode == 0;

    public async Task<(int ExitCode, string Output)> CtrAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("ctr", ["--address", Socket, .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("ctr did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"ctr {string.Join(' ', arguments)} did not finish within 2 minutes");
        }

        return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temp folder is harmless
        }
        catch (UnauthorizedAccessException)
        {
            // the native snapshotter's read-only files: the system cleans temp folders
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
