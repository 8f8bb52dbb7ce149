using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SyncGateway.Testing;

/// <summary>
/// A real CNCF distribution registry on a free loopback port with its own storage folder,
/// optionally behind htpasswd basic auth or in token mode with a <see cref="TokenIssuer"/>:
/// <c>registry:2</c> started with Testcontainers wherever a Docker engine answers
/// (<see cref="DockerEngine"/>), else Debian's <c>docker-registry</c> (the same code) as a local
/// process. Both read the same configuration from the same folder. It fails loudly when neither
/// can start: a test that needs a registry never passes without one.
/// </summary>
public sealed class RegistryProcess : IAsyncDisposable
{
    public const string Binary = "docker-registry";
    private readonly Process? _process;
    private readonly RegistryContainer? _container;
    private readonly StringBuilder _output = new();

    private RegistryProcess(Process process, string folder, int port)
    {
        _process = process;
        Folder = folder;
        Port = port;
    }

    private RegistryProcess(RegistryContainer container, string folder, int port)
    {
        _container = container;
        Folder = folder;
        Port = port;
    }

    /// <summary><c>127.0.0.1:port</c>, the registry's host as images name it.</summary>
    public string Host => $"127.0.0.1:{Port}";

    public Uri BaseUri => new($"{(Tls ? "https" : "http")}://{Host}/");

    /// <summary>Whether the registry speaks HTTPS (with a self-signed certificate, <see cref="StartWithTlsAsync"/>).</summary>
    public bool Tls { get; private init; }

    public int Port { get; }

    /// <summary>The registry's process id on this machine (a container's first process), for measuring what it costs.</summary>
    public int ProcessId => _container?.ProcessId ?? _process!.Id;

    public string Folder { get; }

    /// <summary>Whether the registry runs as a <c>registry:2</c> container (else as a process).</summary>
    public bool IsContainer => _container is not null;

    public string Output
    {
        get
        {
            if (_container is not null)
            {
                return _container.Output;
            }

            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private bool HasExited => _container?.HasExited ?? _process!.HasExited;

    /// <summary>
    /// Starts a registry on <paramref name="port"/>, or on a free port. A free port can be taken by
    /// another process between being found and being bound; then another one is tried. With
    /// <paramref name="storage"/>, the registry serves (and keeps) that folder's blobs and
    /// repositories instead of a folder of its own that goes with it (the benchmarks reuse a seeded one).
    /// </summary>
    public static Task<RegistryProcess> StartAsync(string? username = null, string? password = null, int? port = null, int? catalogMaxEntries = null, string? storage = null) =>
        StartAsync(
            async folder =>
            {
                if (username is null || password is null)
                {
                    return string.Empty;
                }

                var htpasswd = Path.Combine(folder, "htpasswd");
                await File.WriteAllTextAsync(htpasswd, await HtpasswdLineAsync(username, password)).ConfigureAwait(false);
                return $"auth:\n  htpasswd:\n    realm: syncgateway-test\n    path: {htpasswd}\n";
            },
            port,
            catalogMaxEntries,
            storage);

    /// <summary>
    /// Starts a registry in token-auth mode: every request needs a bearer token of
    /// <paramref name="issuer"/> for <paramref name="service"/> (the token's audience), signed by the
    /// issuer's key. The issuer's realm is on 127.0.0.1 but another port, which a client follows
    /// over plain HTTP only for a registry it is told is insecure. Fails unless the registry then
    /// answers an anonymous request with a 401 and a Bearer challenge naming that realm.
    /// </summary>
    public static async Task<RegistryProcess> StartWithTokenAuthAsync(TokenIssuer issuer, string service, int? port = null)
    {
        var registry = await StartAsync(
            folder =>
            {
                // in the registry's own folder, which a container sees at the same path
                var bundle = Path.Combine(folder, "token-issuer.pem");
                File.Copy(issuer.CertificateBundle, bundle);
                return Task.FromResult($"""
                    auth:
                      token:
                        realm: {issuer.Realm}
                        service: {service}
                        issuer: {TokenIssuer.Name}
                        rootcertbundle: {bundle}

                    """);
            },
            port,
            null,
            null).ConfigureAwait(false);
        try
        {
            await registry.EnsureChallengeAsync(issuer.Realm, service).ConfigureAwait(false);
        }
        catch
        {
            await registry.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return registry;
    }

    /// <summary>
    /// Starts a registry that speaks HTTPS only, with a self-signed certificate for 127.0.0.1 made in
    /// its folder: what an <c>insecure</c> registry that has TLS looks like. Plain HTTP to its port is
    /// answered with a 400 of the registry's own.
    /// </summary>
    public static Task<RegistryProcess> StartWithTlsAsync() => StartAsync(_ => Task.FromResult(string.Empty), port: null, catalogMaxEntries: null, storage: null, tls: true);

    private static async Task<RegistryProcess> StartAsync(Func<string, Task<string>> authSection, int? port, int? catalogMaxEntries, string? storage, bool tls = false)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(authSection, port, catalogMaxEntries, storage, tls).ConfigureAwait(false);
            }
            catch (PortTakenException) when (port is null && attempt < 5)
            {
                // try another free port
            }
        }
    }

    /// <param name="authSection">The config's <c>auth:</c> section (empty for none), made in the registry's folder.</param>
    /// <param name="port">The port to listen on, or null for a free one.</param>
    /// <param name="catalogMaxEntries">The largest catalog page the registry serves (distribution's catalog.maxentries).</param>
    /// <param name="storage">The storage folder to serve and keep, or null for one in the registry's folder.</param>
    /// <param name="tls">Whether the registry speaks HTTPS, with a self-signed certificate made in its folder.</param>
    private static async Task<RegistryProcess> StartOnceAsync(Func<string, Task<string>> authSection, int? port, int? catalogMaxEntries, string? storage, bool tls)
    {
        var engine = await DockerEngine.AvailabilityAsync().ConfigureAwait(false);
        var binary = engine.Answers ? null : FindBinary()
            ?? throw new InvalidOperationException($"The integration tests need the CNCF distribution registry: {engine.Reason}, and '{Binary}' is not on PATH. Install it with 'apt-get install docker-registry' (the .ci/run script does).");
        var folder = Directory.CreateTempSubdirectory("syncgateway-registry-").FullName;
        var chosenPort = port ?? FreePort();
        var auth = await authSection(folder).ConfigureAwait(false);
        var https = string.Empty;
        if (tls)
        {
            var (certificate, key) = SelfSignedCertificate.Write(folder);
            https = $"  tls:\n    certificate: {certificate}\n    key: {key}";
        }


        var config = Path.Combine(folder, "config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: warn
              accesslog:
                disabled: true
            storage:
              cache:
                blobdescriptor: inmemory
              filesystem:
                rootdirectory: {storage ?? Path.Combine(folder, "data")}
              delete:
                enabled: true
              maintenance:
                uploadpurging:
                  enabled: false
            http:
              addr: {(binary is null ? ":5000" : $"127.0.0.1:{chosenPort}")}
            {https}
            catalog:
              maxentries: {catalogMaxEntries ?? 1000}
            {auth}
            """).ConfigureAwait(false);

        if (binary is null)
        {
            return await StartContainerAsync(folder, chosenPort, storage, tls).ConfigureAwait(false);
        }

        DockerEngine.Report($"process ({engine.Reason})");
        var info = new ProcessStartInfo(binary, ["serve", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{binary} did not start");
        var registry = new RegistryProcess(process, folder, chosenPort) { Tls = tls };
        process.OutputDataReceived += (_, e) => registry.Append(e.Data);
        process.ErrorDataReceived += (_, e) => registry.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await registry.WaitUntilReadyAsync().ConfigureAwait(false);
        return registry;
    }

    /// <summary>
    /// Replaces the login of a registry started with a username and password, as an operator
    /// rotating a password does: the registry reads its htpasswd file again when it changes.
    /// </summary>
    public async Task ChangePasswordAsync(string username, string password)
    {
        var htpasswd = Path.Combine(Folder, "htpasswd");
        if (!File.Exists(htpasswd))
        {
            throw new InvalidOperationException($"the registry on {Host} was started without a login");
        }

        var replacement = htpasswd + ".new";
        await File.WriteAllTextAsync(replacement, await HtpasswdLineAsync(username, password).ConfigureAwait(false)).ConfigureAwait(false);
        File.Move(replacement, htpasswd, overwrite: true);
    }

    private static async Task<RegistryProcess> StartContainerAsync(string folder, int port, string? storage, bool tls)
    {
        RegistryContainer container;
        try
        {
            container = await RegistryContainer.StartAsync(folder, port, storage).ConfigureAwait(false);
        }
        catch
        {
            DeleteFolder(folder);
            throw;
        }

        DockerEngine.Report($"container {RegistryContainer.Image}");
        var registry = new RegistryProcess(container, folder, port) { Tls = tls };
        await registry.WaitUntilReadyAsync().ConfigureAwait(false);
        return registry;
    }

    /// <summary>Stops the registry, keeping its storage, so it can be started again on the same port.</summary>
    public async Task StopAsync()
    {
        if (_container is not null)
        {
            await _container.StopAsync().ConfigureAwait(false);
        }
        else if (!_process!.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            await StopAsync().ConfigureAwait(false);
            _process!.Dispose();
        }

        DeleteFolder(Folder);
    }

    private static void DeleteFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // a leftover temp folder is harmless (a container's files may belong to its root)
        }
    }

    private async Task EnsureChallengeAsync(Uri realm, string service)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var response = await http.GetAsync(new Uri(BaseUri, "v2/")).ConfigureAwait(false);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        var expected = $"Bearer realm=\"{realm}\",service=\"{service}\"";
        if (response.StatusCode != HttpStatusCode.Unauthorized || !challenge.StartsWith(expected, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{What} on {Host} was started in token mode but answered an anonymous GET /v2/ with {(int)response.StatusCode} '{challenge}', not 401 '{expected}': {Output}");
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        // A registry with TLS has a certificate of its own making: it is not checked here.
        using var http = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } }) { Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (HasExited)
            {
                var output = Output;
                var exitCode = _process?.ExitCode;
                await DisposeAsync().ConfigureAwait(false);
                throw output.Contains("address already in use", StringComparison.OrdinalIgnoreCase)
                    ? new PortTakenException(output)
                    : new InvalidOperationException($"{What} exited{(exitCode is null ? string.Empty : $" with {exitCode}")}: {output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(BaseUri, "v2/")).ConfigureAwait(false);
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // not answering yet
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        var silent = new InvalidOperationException($"{What} on {Host} did not answer within 10 s: {Output}");
        await DisposeAsync().ConfigureAwait(false);
        throw silent;
    }

    private string What => _container is null ? Binary : $"{RegistryContainer.Image} container";

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

    private static async Task<string> HtpasswdLineAsync(string username, string password)
    {
        var info = new ProcessStartInfo("htpasswd", ["-nbB", username, password]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("htpasswd (apache2-utils) is needed for the basic-auth registry");
        var line = await process.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        await process.WaitForExitAsync().ConfigureAwait(false);
        return process.ExitCode == 0 ? line.Trim() + "\n" : throw new InvalidOperationException("htpasswd failed");
    }

    private static string? FindBinary() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, Binary))
            .FirstOrDefault(File.Exists);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The port chosen for a registry was taken before the registry could bind it.</summary>
internal sealed class PortTakenException(string output) : Exception(output);
