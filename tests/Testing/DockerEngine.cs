using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Configurations;

namespace SyncGateway.Testing;

/// <summary>
/// The Docker engine the tests run their containers on: the one <c>DOCKER_HOST</c> names, or the
/// default socket. Asked once per test process. Testcontainers' resource reaper is disabled (its
/// image cannot be pulled here); the fixtures remove their own containers instead, and containers
/// left by a test process that died (labelled with its id) are removed when the next one starts.
/// Every registry a fixture starts is counted in the file <c>SYNCGATEWAY_TEST_REGISTRY_REPORT</c>
/// names, so <c>scripts/test.sh</c> can say how many were containers.
/// </summary>
public static class DockerEngine
{
    /// <summary>The label every container of the tests carries: the id of the test process that made it.</summary>
    public const string OwnerLabel = "org.syncgateway.test.owner";

    /// <summary>Set to <c>process</c> to run registries as processes even when an engine answers.</summary>
    public const string ModeVariable = "SYNCGATEWAY_TEST_REGISTRY";

    private const string DefaultSocket = "unix:///var/run/docker.sock";
    private static readonly Lazy<Task<Availability>> Probe = new(ProbeAsync);

    /// <summary>The engine's endpoint, as <c>DOCKER_HOST</c> spells it.</summary>
    public static Uri Endpoint { get; } = new(Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : DefaultSocket);

    /// <summary>This test process's id, the value of <see cref="OwnerLabel"/> on its containers.</summary>
    public static string Owner { get; } = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Whether containers run here, and if not, why: no engine answers, or processes were asked for.
    /// </summary>
    public static Task<Availability> AvailabilityAsync() => Probe.Value;

    /// <summary>Fails with a message that names what to do unless an engine answers.</summary>
    public static async Task RequireAsync()
    {
        var availability = await AvailabilityAsync().ConfigureAwait(false);
        if (!availability.Answers)
        {
            throw new InvalidOperationException($"This test needs a Docker engine, and none answers: {availability.Reason}. Start one with 'scripts/docker-engine.sh start' and export DOCKER_HOST as it prints (scripts/test.sh and .ci/run do).");
        }
    }

    /// <summary>A client of the engine, negotiated down to the engine's API version.</summary>
    public static DockerClient Client() => new DockerClientBuilder().WithEndpoint(Endpoint).Build();

    /// <summary>Whether the engine has <paramref name="image"/> (nothing is pulled: no registry is reachable).</summary>
    /// <param name="image">An image reference, such as <c>registry:2</c>.</param>
    public static async Task<bool> HasImageAsync(string image)
    {
        using var client = Client();
        try
        {
            await client.Images.InspectImageAsync(image).ConfigureAwait(false);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Adds one line to the registry report: how a registry ran.</summary>
    /// <param name="line">What ran, e.g. <c>container registry:2</c> or <c>process (reason)</c>.</param>
    internal static void Report(string line)
    {
        if (Environment.GetEnvironmentVariable("SYNCGATEWAY_TEST_REGISTRY_REPORT") is { Length: > 0 } report)
        {
            lock (Probe)
            {
                File.AppendAllText(report, line + "\n");
            }
        }
    }

    private static async Task<Availability> ProbeAsync()
    {
        if (string.Equals(Environment.GetEnvironmentVariable(ModeVariable), "process", StringComparison.OrdinalIgnoreCase))
        {
            return new Availability(false, $"{ModeVariable}=process");
        }

        string apiVersion;
        try
        {
            using var client = Client();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var version = await client.System.GetVersionAsync(timeout.Token).ConfigureAwait(false);
            apiVersion = version.APIVersion;
        }
        catch (Exception e)
        {
            // whatever the transport says (no socket, refused, timed out, not an engine): none answers
            return new Availability(false, $"no Docker engine answers at {Endpoint} ({e.GetBaseException().Message})");
        }

        // Testcontainers speaks a newer API than Debian's engine (20.10: 1.41) unless told the
        // engine's version, as the docker CLI negotiates it.
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_API_VERSION")))
        {
            Environment.SetEnvironmentVariable("DOCKER_API_VERSION", apiVersion);
        }

        TestcontainersSettings.ResourceReaperEnabled = false;
        await RemoveOrphansAsync().ConfigureAwait(false);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => RegistryContainer.RemoveAllLeft();
        return new Availability(true, $"Docker engine at {Endpoint} (API {apiVersion})");
    }

    /// <summary>Removes containers of earlier test processes that are gone (killed before they cleaned up).</summary>
    private static async Task RemoveOrphansAsync()
    {
        using var client = Client();
        var containers = await client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [OwnerLabel] = true } },
        }).ConfigureAwait(false);
        foreach (var container in containers)
        {
            if (int.TryParse(container.Labels[OwnerLabel], out var pid) && !IsAlive(pid))
            {
                await client.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }).ConfigureAwait(false);
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Whether containers run here, and a line saying which engine or why not.</summary>
    /// <param name="Answers">An engine answers and containers are wanted.</param>
    /// <param name="Reason">The engine and its API version, or why registries run as processes.</param>
    public sealed record Availability(bool Answers, string Reason);
}
