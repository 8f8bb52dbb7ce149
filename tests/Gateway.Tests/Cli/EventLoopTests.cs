using SyncGateway.Gateway.Hosting;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>
/// <c>sync</c> as its own process runs its sockets as an event loop, unless the operator's
/// environment says otherwise; run inside another program, it leaves that program's runtime alone.
/// What the process set is seen where it shows: in the environment of the <c>passwordCommand</c> it
/// starts for the source's credentials.
/// </summary>
public sealed class EventLoopTests
{
    [Theory]
    [InlineData(null, "1")]
    [InlineData("0", "0")]
    public async Task SyncAsItsOwnProcess_RunsAsAnEventLoop_UnlessTheEnvironmentSaysOtherwise(string? operatorSetting, string seen)
    {
        await using var source = await RegistryProcess.StartAsync("loop-user", "loop-pass");
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host, "loop-user", "loop-pass");
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var image = await seeder.PushImageAsync("lib/app", "1", [ImageSeeder.RandomBytes(300_000, 1300), ImageSeeder.RandomBytes(200_000, 1301)]);
        var said = Path.Combine(workspace.Folder, "said");
        var command = CliProcess.WriteScript(Path.Combine(workspace.Folder, "password"), $"""
            printf '%s' "${EventLoop.Switch}" > {said}
            echo loop-pass
            """);
        var config = workspace.Write("syncgateway.yaml", $$"""
            registries:
              "{{source.Host}}":
                insecure: true
                username: loop-user
                passwordCommand: {{command}}
              "{{destination.Host}}": {insecure: true}
            rules:
              - source: {{source.Host}}/lib/app
                destination: {{destination.Host}}/m/app
            """);
        var environment = new Dictionary<string, string>();
        if (operatorSetting is not null)
        {
            environment[EventLoop.Switch] = operatorSetting;
        }

        var run = await CliProcess.RunAsync(environment, "sync", "--config", config, "--records", workspace.Records);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("m/app", "1"));
        Assert.Equal(seen, File.ReadAllText(said));
    }

    [Fact]
    public async Task SyncRunInsideAnotherProgram_LeavesThatProgramsRuntimeAlone()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var workspace = new Workspace();
        await seeder.PushImageAsync("lib/app", "1", [ImageSeeder.RandomBytes(1000, 1302)]);
        var config = workspace.Write("syncgateway.yaml", $$"""
            registries:
              "{{source.Host}}": {insecure: true}
              "{{destination.Host}}": {insecure: true}
            rules:
              - source: {{source.Host}}/lib/app
                destination: {{destination.Host}}/m/app
            """);
        Assert.Null(Environment.GetEnvironmentVariable(EventLoop.Switch));

        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Null(Environment.GetEnvironmentVariable(EventLoop.Switch));
    }
}
