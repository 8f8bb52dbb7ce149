using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>
/// A registry that keeps its blobs in object storage answers a blob GET with a redirect. The copy
/// follows it, and the registry's Authorization header stays with the registry.
/// </summary>
public sealed class SyncRedirectTests
{
    [Fact]
    public async Task BlobRedirectsToStorage_AreFollowed_WithoutTheRegistrysAuthorization()
    {
        await using var source = await RegistryProcess.StartAsync("puller", "pull-secret");
        await using var destination = await RegistryProcess.StartAsync();
        await using var front = await FaultProxy.StartAsync(source.BaseUri);
        await using var storage = await FaultProxy.StartAsync(source.BaseUri);
        using var seeder = new ImageSeeder(source.Host, "puller", "pull-secret");
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var layer = ImageSeeder.RandomBytes(300_000, 900);
        var image = await seeder.PushImageAsync("lib/stored", "1", [layer]);
        var layerPath = $"/v2/lib/stored/blobs/{image.LayerDigests[0]}";

        // The registry sends blob reads to "storage" (another host), which serves the bytes itself.
        front.Fault = context =>
        {
            if (context.Request.Method == "GET" && context.Request.Path.Value == layerPath)
            {
                context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
                context.Response.Headers.Location = $"http://{storage.Host}/bucket/blob?signature=abc";
                return Task.FromResult(true);
            }

            return Task.FromResult(false);
        };
        var storageAuthorization = new ConcurrentQueue<string>();
        storage.Fault = async context =>
        {
            storageAuthorization.Enqueue(context.Request.Headers.Authorization.ToString());
            context.Response.ContentLength = layer.Length;
            await context.Response.Body.WriteAsync(layer);
            return true;
        };
        var auth = workspace.Write("auth.yaml", $"\"{front.Host}\": {{username: puller, password: pull-secret, insecure: true}}\n\"{destination.Host}\": {{insecure: true}}\n");
        var images = workspace.Write("images.yaml", $"\"{front.Host}/lib/stored:1\": \"{destination.Host}/m/stored\"\n");

        var run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("m/stored", "1"));
        Assert.Equal([string.Empty], storageAuthorization.ToArray());
    }
}
