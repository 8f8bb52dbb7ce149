using System.Text.Json;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>The image lists <c>sync</c> writes: every pair, and every failure, ready to feed back.</summary>
public sealed class OutputFilesTests
{
    [Fact]
    public async Task ARuleWithTwoDestinations_ListsBothPairs_InBothFormats()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var workspace = new Workspace();
        await seeder.PushImageAsync("lib/twice", "1", [ImageSeeder.RandomBytes(2000, 860)]);
        var images = workspace.Write("images.yaml", $"\"{source.Host}/lib/twice:1\": [\"{destination.Host}/a/twice\", \"{destination.Host}/b/twice\"]\n");
        var auth = workspace.InsecureAuth(source.Host, destination.Host);
        var yaml = Path.Combine(workspace.Folder, "ok.yaml");
        var json = Path.Combine(workspace.Folder, "ok.json");

        var run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records, "--output-success-images", yaml);
        var again = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records, "--output-success-images", json, "--output-images-format", "json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(
            $"\"{source.Host}/lib/twice:1\": [\"{destination.Host}/a/twice:1\",\"{destination.Host}/b/twice:1\"]\n",
            await File.ReadAllTextAsync(yaml));
        var listed = JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement.GetProperty($"{source.Host}/lib/twice:1");
        Assert.Equal([$"{destination.Host}/a/twice:1", $"{destination.Host}/b/twice:1"], listed.EnumerateArray().Select(e => e.GetString()));

        // The list is a valid images file: fed back, both are found in sync.
        var fed = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", yaml, "--records", workspace.Records);
        Assert.True(fed.ExitCode == 0, fed.ToString());
        Assert.Contains("Synced 0, already in sync 2", fed.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARefusedLogin_PutsTheWholeRuleInTheFailedImagesFile()
    {
        await using var source = await RegistryProcess.StartAsync(username: "reader", password: "right");
        await using var destination = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        var images = workspace.Write("images.yaml", $"\"{source.Host}/lib/locked\": [\"{destination.Host}/m/locked\", \"{destination.Host}/n/locked\"]\n");
        var auth = workspace.Write("auth.yaml", $"\"{source.Host}\": {{username: reader, password: wrong, insecure: true}}\n\"{destination.Host}\": {{insecure: true}}\n");
        var failed = Path.Combine(workspace.Folder, "failed.yaml");

        var run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records, "--retries", "0", "--output-failed-images", failed);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("Failed to generate", run.Out, StringComparison.Ordinal);
        Assert.Equal(
            $"\"{source.Host}/lib/locked\": [\"{destination.Host}/m/locked\",\"{destination.Host}/n/locked\"]\n",
            await File.ReadAllTextAsync(failed));
    }
}
