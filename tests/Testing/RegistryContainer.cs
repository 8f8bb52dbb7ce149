using System.Collections.Concurrent;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;

namespace SyncGateway.Testing;

/// <summary>
/// <c>registry:2</c> started with Testcontainers: the configuration a <see cref="RegistryProcess"/>
/// wrote, its folder mounted at the same path (so the config's paths hold inside too), the
/// registry's port 5000 published on 127.0.0.1 only. Removed when disposed; containers still
/// there when the test process exits are removed then.
/// </summary>
public sealed class RegistryContainer : IAsyncDisposable
{
    /// <summary>The image: Docker Hub's, or the one <c>scripts/build-registry-image.sh</c> makes from Debian's binary.</summary>
    public const string Image = "registry:2";

    private static readonly ConcurrentDictionary<string, byte> Left = new();
    private readonly IContainer _container;
    private readonly LineSink _output;
    private string? _id;

    private RegistryContainer(IContainer container, LineSink output)
    {
        _container = container;
        _output = output;
    }

    public string Output => _output.Text;

    public bool HasExited => _container.State is TestcontainersStates.Exited or TestcontainersStates.Dead;

    /// <summary>The registry's process id on this machine (the container's first process).</summary>
    public int ProcessId { get; private set; }

    /// <summary>Creates and starts the container; fails with <see cref="PortTakenException"/> when the host port is taken.</summary>
    /// <param name="folder">The registry's folder, with <c>config.yml</c>, mounted at the same path.</param>
    /// <param name="port">The host port, on 127.0.0.1, for the registry's port 5000.</param>
    /// <param name="storage">A storage folder outside <paramref name="folder"/>, mounted at the same path too, or null.</param>
    public static async Task<RegistryContainer> StartAsync(string folder, int port, string? storage = null)
    {
        if (!await DockerEngine.HasImageAsync(Image).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"The Docker engine at {DockerEngine.Endpoint} has no {Image} image, and none can be pulled here: make it with 'scripts/build-registry-image.sh' (scripts/test.sh and .ci/run do).");
        }

        var output = new LineSink();
        var builder = new ContainerBuilder(Image).WithBindMount(folder, folder);
        if (storage is not null)
        {
            Directory.CreateDirectory(storage);
            builder = builder.WithBindMount(storage, storage);
        }

        var container = builder
            // the image's VOLUME would otherwise leave an anonymous volume behind every container
            .WithTmpfsMount("/var/lib/registry")
            .WithCommand(Path.Combine(folder, "config.yml"))
            .WithPortBinding(port, 5000)
            .WithCreateParameterModifier(parameters =>
            {
                foreach (var binding in parameters.HostConfig?.PortBindings?.Values.SelectMany(bindings => bindings) ?? [])
                {
                    binding.HostIP = "127.0.0.1";
                }
            })
            .WithLabel(DockerEngine.OwnerLabel, DockerEngine.Owner)
            .WithOutputConsumer(new Consumer(output))
            .Build();
        var registry = new RegistryContainer(container, output);
        try
        {
            await container.StartAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e.Message.Contains("port is already allocated", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            await registry.DisposeAsync().ConfigureAwait(false);
            throw new PortTakenException(e.Message);
        }
        catch
        {
            await registry.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        registry._id = container.Id;
        Left.TryAdd(registry._id, 0);
        using var client = DockerEngine.Client();
        var inspected = await client.Containers.InspectContainerAsync(container.Id).ConfigureAwait(false);
        registry.ProcessId = (int)(inspected.State?.Pid ?? 0);
        return registry;
    }

    /// <summary>Stops the container, keeping it (and the folder) so nothing is lost; the port is free again.</summary>
    public async Task StopAsync()
    {
        if (_container.State == TestcontainersStates.Running)
        {
            await _container.StopAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _container.DisposeAsync().ConfigureAwait(false);
        if (_id is not null)
        {
            Left.TryRemove(_id, out _);
        }

        _output.Dispose();
    }

    /// <summary>Removes every container this process started and has not removed yet (at exit, after a crash of a test).</summary>
    internal static void RemoveAllLeft()
    {
        if (Left.IsEmpty)
        {
            return;
        }

        using var client = DockerEngine.Client();
        foreach (var id in Left.Keys)
        {
            try
            {
                client.Containers.RemoveContainerAsync(id, new Docker.DotNet.Models.ContainerRemoveParameters { Force = true, RemoveVolumes = true }).Wait(TimeSpan.FromSeconds(10));
            }
            catch (AggregateException)
            {
                // already gone, or the engine stopped first: its own stop removes it
            }
        }
    }

    /// <summary>Hands the container's stdout and stderr to the registry's output.</summary>
    /// <param name="sink">Where both go.</param>
    private sealed class Consumer(LineSink sink) : IOutputConsumer
    {
        public bool Enabled => true;

        public Stream Stdout => sink;

        public Stream Stderr => sink;

        public void Dispose()
        {
            // the sink belongs to the registry
        }
    }
}
