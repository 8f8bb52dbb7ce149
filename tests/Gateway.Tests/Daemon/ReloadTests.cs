using System.Text.RegularExpressions;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Daemon;

/// <summary>Reloads build a new configuration generation; the replaced one closes its connections.</summary>
public sealed partial class ReloadTests
{
    [Fact]
    public async Task FiftyReloads_LeaveTheNumberOfOpenSocketsFlat()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        var port = RegistryProcess.FreePort();
        var config = workspace.Write("daemon.yaml", $"""
            registries:
              "{source.Host}": {"{"}insecure: true{"}"}
              "{mirror.Host}": {"{"}insecure: true{"}"}
            rules:
              - source: {source.Host}/lib/app
                destination: {mirror.Host}/mirror/app
            replicator:
              records: {workspace.Records}
              pollInterval: 0
            webhooks:
              secret: test-secret
            gateway:
              listen: http://127.0.0.1:{port}
              source: {source.Host}
              mirror: {mirror.Host}
            """);
        using var serve = await ServeProcess.StartAsync(config, port);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

        // Each generation talks to the source once (the /v2/ check goes through to it), so each has a connection to close.
        using (await http.GetAsync("v2/"))
        {
        }

        var before = serve.OpenSockets();
        for (var reload = 1; reload <= 50; reload++)
        {
            serve.Hangup();
            var expected = reload;
            Assert.True(await Wait.UntilAsync(() => Task.FromResult(Reloads().Count(serve.Output) >= expected), seconds: 10), serve.Output);
            using var answer = await http.GetAsync("v2/");
            Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);
        }

        var after = serve.OpenSockets();
        Assert.True(after <= before + 3, $"open sockets went from {before} to {after} over 50 reloads");
    }

    [GeneratedRegex("Reloaded the configuration")]
    private static partial Regex Reloads();
}
