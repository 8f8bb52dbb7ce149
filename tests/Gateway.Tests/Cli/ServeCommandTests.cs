namespace SyncGateway.Gateway.Tests.Cli;

/// <summary><c>serve</c> checks everything it needs before it starts, and names every problem.</summary>
public sealed class ServeCommandTests
{
    [Fact]
    public async Task AnUnreadableHtpasswd_AndHttpsWithoutACertificate_ExitTwo_NamingBoth()
    {
        using var workspace = new Workspace();
        var config = workspace.Write("serve.yaml", $"""
            registries:
              "127.0.0.1:1": {"{"}insecure: true{"}"}
            rules:
              - source: 127.0.0.1:1/lib/app
                destination: 127.0.0.1:2/mirror/app
            replicator:
              records: {workspace.Records}
            gateway:
              listen: https://127.0.0.1:{Testing.RegistryProcess.FreePort()}
              source: 127.0.0.1:1
              mirror: 127.0.0.1:2
              auth: basic
              htpasswd: {Path.Combine(workspace.Folder, "missing-htpasswd")}
            """);

        var run = await CliRun.InvokeAsync("serve", "--config", config);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("2 configuration error(s)", run.Error, StringComparison.Ordinal);
        Assert.Contains($"{config}: gateway.htpasswd: cannot be used", run.Error, StringComparison.Ordinal);
        Assert.Contains("missing-htpasswd", run.Error, StringComparison.Ordinal);
        Assert.Contains($"{config}: gateway.listen:", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(workspace.Records), "nothing may be touched");
    }

    [Fact]
    public async Task AnHtpasswdWithAWeakHash_ExitsTwo_NamingTheLine()
    {
        using var workspace = new Workspace();
        var htpasswd = workspace.Write("htpasswd", "alice:$apr1$weak$hash\n");
        var config = workspace.Write("serve.yaml", $"""
            rules:
              - source: 127.0.0.1:1/lib/app
                destination: 127.0.0.1:2/mirror/app
            replicator:
              records: {workspace.Records}
            gateway:
              listen: http://127.0.0.1:{Testing.RegistryProcess.FreePort()}
              source: 127.0.0.1:1
              auth: basic
              htpasswd: {htpasswd}
            """);

        var run = await CliRun.InvokeAsync("serve", "--config", config);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains($"gateway.htpasswd: cannot be used: {htpasswd}:1: not a 'user:bcrypt-hash' line", run.Error, StringComparison.Ordinal);
    }
}
