using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>
/// Credentials as clusters and laptops have them: docker's credential helpers (<c>credHelpers</c>,
/// <c>credsStore</c>) found on the PATH and the config in <c>DOCKER_CONFIG</c>, identity tokens,
/// and a <c>passwordCommand</c> whose password rotates under a running daemon. The helpers are
/// shell scripts each test writes; the registries are real.
/// </summary>
public sealed class CredentialTests
{
    [Fact]
    public async Task ACredentialHelper_IsRunWithTheRegistryOnStdin_AndAMissingOneFailsOnlyItsRegistry()
    {
        await using var source = await RegistryProcess.StartAsync("helper-user", "helper-pass");
        await using var other = await RegistryProcess.StartAsync("other-user", "other-pass");
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host, "helper-user", "helper-pass");
        using var otherSeeder = new ImageSeeder(other.Host, "other-user", "other-pass");
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var image = await seeder.PushImageAsync("lib/app", "1", [ImageSeeder.RandomBytes(2000, 1200)]);
        await otherSeeder.PushImageAsync("lib/other", "1", [ImageSeeder.RandomBytes(2000, 1201)]);
        var bin = Directory.CreateDirectory(Path.Combine(workspace.Folder, "bin")).FullName;
        var asked = Path.Combine(workspace.Folder, "asked");
        CliProcess.WriteScript(Path.Combine(bin, "docker-credential-test"), $$"""
            read -r server
            echo "$1 $server" >> {{asked}}
            printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-pass"}\n' "$server"
            """);
        var docker = Directory.CreateDirectory(Path.Combine(workspace.Folder, "docker")).FullName;
        File.WriteAllText(Path.Combine(docker, "config.json"), $$$"""{"auths": {"{{{source.Host}}}": {}}, "credHelpers": {"{{{source.Host}}}": "test", "{{{other.Host}}}": "absent"}}""");
        var config = workspace.Write("syncgateway.yaml", $$"""
            registries:
              "{{source.Host}}": {insecure: true}
              "{{other.Host}}": {insecure: true}
              "{{destination.Host}}": {insecure: true}
            rules:
              - source: {{source.Host}}/lib/app
                destination: {{destination.Host}}/m/app
              - source: {{other.Host}}/lib/other
                destination: {{destination.Host}}/m/other
            """);

        var run = await CliProcess.RunAsync(
            new Dictionary<string, string> { ["PATH"] = CliProcess.PathWith(bin), ["DOCKER_CONFIG"] = docker },
            "sync", "--config", config, "--records", workspace.Records, "--retries", "0");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("m/app", "1"));
        Assert.Equal([$"get {source.Host}"], File.ReadAllLines(asked).Distinct());
        Assert.Contains($"the credential helper docker-credential-absent for {other.Host} cannot be run", run.Out, StringComparison.Ordinal);
        Assert.Null(await reader.ManifestDigestAsync("m/other", "1"));
        Assert.DoesNotContain("helper-pass", run.Out + run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACredsStoreIdentityToken_IsExchangedAtTheTokenServiceForAccess()
    {
        await using var issuer = await TokenIssuer.StartAsync();
        issuer.RefreshTokens["refresh-7f3a"] = "robot";
        await using var source = await RegistryProcess.StartWithTokenAuthAsync(issuer, "oauth-registry");
        await using var destination = await RegistryProcess.StartAsync();
        issuer.Users["seeder"] = "seeder-pass";
        using var seeder = new ImageSeeder(source.Host, "seeder", "seeder-pass");
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var image = await seeder.PushImageAsync("lib/app", "2", [ImageSeeder.RandomBytes(2000, 1210)]);
        var bin = Directory.CreateDirectory(Path.Combine(workspace.Folder, "bin")).FullName;
        CliProcess.WriteScript(Path.Combine(bin, "docker-credential-store"), $$"""
            read -r server
            if [ "$server" = "{{source.Host}}" ]; then
              printf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh-7f3a"}' "$server"
            else
              echo "credentials not found in native keychain"
              exit 1
            fi
            """);
        var docker = Directory.CreateDirectory(Path.Combine(workspace.Folder, "docker")).FullName;
        File.WriteAllText(Path.Combine(docker, "config.json"), """{"credsStore": "store"}""");
        var config = workspace.Write("syncgateway.yaml", $$"""
            registries:
              "{{source.Host}}": {insecure: true}
              "{{destination.Host}}": {insecure: true}
            rules:
              - source: {{source.Host}}/lib/app
                destination: {{destination.Host}}/m/app
            """);

        var run = await CliProcess.RunAsync(
            new Dictionary<string, string> { ["PATH"] = CliProcess.PathWith(bin), ["DOCKER_CONFIG"] = docker },
            "sync", "--config", config, "--records", workspace.Records);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("m/app", "2"));
        Assert.Contains(issuer.Issued, t => t.User == "robot" && t.Granted.Contains("repository:lib/app:pull"));
        Assert.DoesNotContain("refresh-7f3a", run.Out + run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APasswordCommand_RunsAgainWhenTheRegistryRefusesTheRotatedPassword_AndTheDaemonCarriesOn()
    {
        await using var source = await RegistryProcess.StartAsync("sync", "password-1");
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var atMirror = new ImageSeeder(mirror.Host);
        using var original = new ImageSeeder(source.Host, "sync", "password-1");
        var first = await original.PushImageAsync("lib/rotating", "1", [ImageSeeder.RandomBytes(3000, 1220)]);
        var secret = workspace.Write("current-password", "password-1\n");
        var runs = Path.Combine(workspace.Folder, "runs");
        var command = CliProcess.WriteScript(Path.Combine(workspace.Folder, "print-password"), $"echo run >> {runs}\ncat {secret}\n");
        await using var gateway = await RunningGateway.StartAsync(
            workspace, source.Host, mirror.Host, ["lib/rotating"], credentials: $"username: sync\n    passwordCommand: {command} --registry {source.Host}", pollInterval: "1s");
        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/rotating", "1") == first.Digest), gateway.Log);
        Assert.Single(File.ReadAllLines(runs));

        // What the command prints rotates, then the registry's password (so no poll between the two
        // can meet the old password refused while the command still prints it).
        File.WriteAllText(secret, "password-2\n");
        await source.ChangePasswordAsync("sync", "password-2");
        using var rotated = new ImageSeeder(source.Host, "sync", "password-2");
        var second = await rotated.PushImageAsync("lib/rotating", "2", [ImageSeeder.RandomBytes(3000, 1221)]);
        await Assert.ThrowsAsync<InvalidOperationException>(() => original.PushImageAsync("lib/refused", "1", [ImageSeeder.RandomBytes(10, 1222)]));

        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/rotating", "2") == second.Digest), gateway.Log);
        Assert.Equal(2, File.ReadAllLines(runs).Length);
        Assert.DoesNotContain("password-2", gateway.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APasswordCommand_RunsAgainWhenTheTokenServiceRefusesTheRotatedPassword()
    {
        await using var issuer = await TokenIssuer.StartAsync();
        issuer.Users["sync"] = "token-password-1";
        await using var source = await RegistryProcess.StartWithTokenAuthAsync(issuer, "rotating-registry");
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var atMirror = new ImageSeeder(mirror.Host);
        issuer.Users["seeder"] = "seeder-pass";
        using var seeder = new ImageSeeder(source.Host, "seeder", "seeder-pass");
        var first = await seeder.PushImageAsync("lib/tokened", "1", [ImageSeeder.RandomBytes(3000, 1230)]);
        var secret = workspace.Write("current-password", "token-password-1\n");
        var runs = Path.Combine(workspace.Folder, "runs");
        var command = CliProcess.WriteScript(Path.Combine(workspace.Folder, "print-token-password"), $"echo run >> {runs}\ncat {secret}\n");

        // Tokens live 2 s, so every poll after the rotation asks the token service again.
        issuer.Lifetime = TimeSpan.FromSeconds(2);
        await using var gateway = await RunningGateway.StartAsync(
            workspace, source.Host, mirror.Host, ["lib/tokened"], credentials: $"username: sync\n    passwordCommand: {command}", pollInterval: "1s");
        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/tokened", "1") == first.Digest), gateway.Log);
        Assert.Single(File.ReadAllLines(runs));

        // The old token lives on for its 2 s; the first poll after it asks with the old password, is refused, and runs the command again.
        File.WriteAllText(secret, "token-password-2\n");
        issuer.Users["sync"] = "token-password-2";
        Assert.True(await Wait.UntilAsync(() => Task.FromResult(File.ReadAllLines(runs).Length == 2)), gateway.Log);
        var second = await seeder.PushImageAsync("lib/tokened", "2", [ImageSeeder.RandomBytes(3000, 1231)]);

        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/tokened", "2") == second.Digest), gateway.Log);
        Assert.Equal(2, File.ReadAllLines(runs).Length);
        Assert.True(issuer.RefusedLogins > 0, "the token service must have refused the old password");
        Assert.Contains(issuer.Issued, t => t.User == "sync" && t.Granted.Contains("repository:lib/tokened:pull"));
    }
}
