using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>Large uploads resume where they stood instead of starting over.</summary>
public sealed class ResumeTests
{
    [Fact]
    public async Task A2GiBLayer_ThroughAProxyThatResetsEvery256MiB_Completes_SendingAtMostOneChunkMorePerReset()
    {
        const long LayerSize = 2L * 1024 * 1024 * 1024;
        const long ChunkSize = 64L * 1024 * 1024;
        const long ResetEvery = 256L * 1024 * 1024;
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        await using var link = await FaultProxy.StartAsync(destination.BaseUri);
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var layer = await seeder.PushGeneratedBlobAsync("lib/huge", LayerSize, 890);
        var image = await seeder.PushImageWithLayersAsync("lib/huge", "1", [(layer, LayerSize)]);

        // Like a buffering reverse proxy (nginx in front of Harbor) whose link drops: a chunk is
        // taken whole before it goes on, and when the link drops nothing of it reaches the registry.
        long received = 0;
        var resets = 0;
        link.Fault = async context =>
        {
            if (context.Request.Method != "PATCH")
            {
                return false;
            }

            var body = new MemoryStream();
            var buffer = new byte[1 << 20];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
            {
                var before = Interlocked.Add(ref received, read) - read;
                if (before / ResetEvery != (before + read) / ResetEvery)
                {
                    Interlocked.Increment(ref resets);
                    context.Abort();
                    return true;
                }

                body.Write(buffer, 0, read);
            }

            body.Position = 0;
            context.Request.Body = body;
            return false;
        };
        var config = workspace.Write("huge.yaml", $"""
            registries:
              "{source.Host}": {"{"}insecure: true{"}"}
              "{link.Host}": {"{"}insecure: true, chunkSize: 64MiB{"}"}
            rules:
              - source: {source.Host}/lib/huge
                destination: {link.Host}/m/huge
                tags: ["1"]
            """);

        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records, "--retries", "0");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("m/huge", "1"));
        Assert.True(resets >= 6, $"the link dropped only {resets} times");
        Assert.Contains("was resumed", run.Error, StringComparison.Ordinal);
        var sent = Interlocked.Read(ref received);
        Assert.True(sent <= LayerSize + (resets * ChunkSize), $"{sent} bytes went to the destination for a {LayerSize}-byte layer and {resets} resets");
    }
}
