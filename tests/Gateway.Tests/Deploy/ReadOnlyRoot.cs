using System.Diagnostics;
using System.Text;

namespace SyncGateway.Gateway.Tests.Deploy;

/// <summary>
/// Runs the built <c>syncgateway</c> as the chart's pods run it: every mount of this machine
/// read-only (readOnlyRootFilesystem), and only a fresh tmpfs for temporary files and one on the
/// records folder writable (the chart's <c>/tmp</c> emptyDir and records volumes). It uses a private
/// mount namespace (<c>unshare --mount</c>, root), so nothing changes outside the process. The
/// temporary tmpfs is mounted in this class's folder and named by <c>TMPDIR</c> (where .NET puts
/// every temporary file), not on <c>/tmp</c>: the tests' own build may live under <c>/tmp</c>
/// (a CI clone), and a tmpfs there would hide the program itself.
/// </summary>
internal sealed class ReadOnlyRoot : IDisposable
{
    // $1 = the records folder, $2 = the temporary folder; the rest = dotnet's arguments. Exit 97: the root could not be made read-only.
    private const string Script = """
        set -e
        records="$1"; tmp="$2"; shift 2
        for m in $(awk '{print $2}' /proc/self/mounts | sort -u); do
          case "$m" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) continue ;; esac
          mount -o remount,bind,ro "$m" 2>/dev/null || true
        done
        awk '$2 == "/" {print $4}' /proc/self/mounts | grep -q '^ro' || { echo "/ is not read-only" >&2; exit 97; }
        if touch "$records/probe" 2>/dev/null; then echo "$records is not read-only" >&2; exit 97; fi
        mount -t tmpfs -o size=64m tmpfs "$tmp"
        mount -t tmpfs -o size=64m tmpfs "$records"
        TMPDIR="$tmp" exec dotnet "$@"
        """;

    private readonly StringBuilder _output = new();
    private Process? _process;

    /// <summary>Where the configuration goes (read-only once the program runs).</summary>
    public string Folder { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "readonly-root-" + Guid.NewGuid().ToString("N")[..12])).FullName;

    /// <summary>The writable records folder, as the chart mounts a records volume.</summary>
    public string Records => Path.Combine(Folder, "records");

    /// <summary>Everything the program printed so far.</summary>
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

    /// <summary>Writes a file into <see cref="Folder"/> and returns its path.</summary>
    /// <param name="name">The file name.</param>
    /// <param name="content">Its text.</param>
    public string Write(string name, string content)
    {
        var path = Path.Combine(Folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Starts <c>syncgateway</c> with these arguments under the read-only root.</summary>
    /// <param name="arguments">syncgateway's arguments, the command first.</param>
    public void Start(params string[] arguments)
    {
        Directory.CreateDirectory(Records);
        var temporary = Directory.CreateDirectory(Path.Combine(Folder, "tmp")).FullName;
        var binary = Path.Combine(AppContext.BaseDirectory, "syncgateway.dll");
        var info = new ProcessStartInfo("unshare", ["--mount", "--propagation", "private", "sh", "-c", Script, "sh", Records, temporary, binary, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(info) ?? throw new InvalidOperationException("unshare did not start");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Waits for the program to end, at most this long; its exit code.</summary>
    /// <param name="timeout">How long to wait.</param>
    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException("not started");
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
        process.WaitForExit();
        return process.ExitCode == 97
            ? throw new InvalidOperationException($"the read-only root could not be set up (needs root and mount namespaces): {Output}")
            : process.ExitCode;
    }

    /// <summary>Whether the program is still running.</summary>
    public bool Running => _process is { HasExited: false };

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process?.Dispose();
        Directory.Delete(Folder, recursive: true);
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
