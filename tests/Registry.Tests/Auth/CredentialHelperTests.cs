using SyncGateway.Registry.Auth;
using SyncGateway.Registry.Errors;

namespace SyncGateway.Registry.Tests.Auth;

/// <summary>
/// Programs that give credentials, run for real (shell scripts written here): what they print is
/// the login, and whatever goes wrong names the program and the registry, never the secret.
/// </summary>
public sealed class CredentialHelperTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("syncgateway-helpers-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Script(string name, string body)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return path;
    }

    [Fact]
    public async Task PasswordCommand_PrintsThePassword_AndRunsAgainOnlyAfterThatPasswordIsRefused()
    {
        var counter = Path.Combine(_folder, "runs");
        var command = Script("token", $"echo x >> {counter}\nprintf 'pass-%s\\n' $(wc -l < {counter})\n");
        var source = PasswordCommand.Create("acr.example.com", "cr_temp_user", command);

        var first = await source.GetAsync(CancellationToken.None);
        var again = await source.GetAsync(CancellationToken.None);
        Assert.True(source.Refused(first!));
        Assert.True(source.Refused(first!));
        var rotated = await source.GetAsync(CancellationToken.None);

        Assert.Equal(new RegistryCredentials("cr_temp_user", "pass-1"), first);
        Assert.Same(first, again);
        Assert.Equal("pass-2", rotated!.Password);
        Assert.Equal(2, source.Runs);
    }

    [Theory]
    [InlineData("exit 0\n", "printed nothing")]
    [InlineData("echo 'token service down' >&2\nexit 3\n", "failed (exit 3): token service down")]
    public async Task PasswordCommand_ThatFailsOrPrintsNothing_NamesTheCommandAndTheRegistry(string body, string problem)
    {
        var command = Script("acr-token", body);
        var source = PasswordCommand.Create("acr.example.com", "u", command + " --secret-arg s3cr3t");

        var error = await Assert.ThrowsAsync<RegistryException>(async () => await source.GetAsync(CancellationToken.None));

        Assert.Equal($"the passwordCommand '{command}' for acr.example.com {problem}", error.Message);
        Assert.DoesNotContain("s3cr3t", error.Message, StringComparison.Ordinal);
        Assert.False(error.Retryable);
    }

    [Fact]
    public async Task CredentialHelper_ThatIsMissingFailsOrAnswersBadly_NamesTheHelperAndTheRegistry()
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        Script("docker-credential-broken", "echo 'keychain locked'\nexit 1\n");
        Script("docker-credential-garbled", "echo 'not json'\n");
        Script("docker-credential-empty", "printf '{\"Username\":\"u\"}'\n");
        Script("docker-credential-none", "echo 'credentials not found in native keychain'\nexit 1\n");
        var missing = await Assert.ThrowsAsync<RegistryException>(async () => await CredentialHelper.Create("absent-" + Guid.NewGuid().ToString("N"), "r.example.com").GetAsync(CancellationToken.None));

        // The helpers are found on PATH, as docker finds them.
        Environment.SetEnvironmentVariable("PATH", _folder + ":" + path);
        try
        {
            var broken = await Assert.ThrowsAsync<RegistryException>(async () => await CredentialHelper.Create("broken", "r.example.com").GetAsync(CancellationToken.None));
            var garbled = await Assert.ThrowsAsync<RegistryException>(async () => await CredentialHelper.Create("garbled", "r.example.com").GetAsync(CancellationToken.None));
            var empty = await Assert.ThrowsAsync<RegistryException>(async () => await CredentialHelper.Create("empty", "r.example.com").GetAsync(CancellationToken.None));
            var none = await CredentialHelper.Create("none", "r.example.com").GetAsync(CancellationToken.None);

            Assert.StartsWith("the credential helper docker-credential-absent-", missing.Message, StringComparison.Ordinal);
            Assert.Contains(" for r.example.com cannot be run", missing.Message, StringComparison.Ordinal);
            Assert.Equal("the credential helper docker-credential-broken for r.example.com failed (exit 1): keychain locked", broken.Message);
            Assert.StartsWith("the credential helper docker-credential-garbled for r.example.com answered with something that is not its JSON", garbled.Message, StringComparison.Ordinal);
            Assert.Equal("the credential helper docker-credential-empty for r.example.com answered without a Secret", empty.Message);
            Assert.Null(none);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }
    }

    [Fact]
    public async Task DockerConfig_ReadsAuthsIdentityTokensCredHelpersAndCredsStore()
    {
        var config = Path.Combine(_folder, "config.json");
        var auth = Convert.ToBase64String("alice:wonder"u8.ToArray());
        var azure = Convert.ToBase64String("00000000-0000-0000-0000-000000000000:"u8.ToArray());
        File.WriteAllText(config, $$$"""
            {"auths": {"plain.example.com": {"auth": "{{{auth}}}"},
                       "https://index.docker.io/v1/": {"auth": "{{{auth}}}"},
                       "oauth.example.com": {"auth": "{{{azure}}}", "identitytoken": "refresh-1"}},
             "credHelpers": {"ecr.example.com": "ecr-login"}}
            """);

        var logins = DockerConfigCredentials.Load(config);

        Assert.Equal(new RegistryCredentials("alice", "wonder"), await logins.For("plain.example.com")!.GetAsync(CancellationToken.None));
        Assert.Equal(new RegistryCredentials("alice", "wonder"), await logins.For("docker.io")!.GetAsync(CancellationToken.None));
        var identity = (await logins.For("oauth.example.com")!.GetAsync(CancellationToken.None))!;
        Assert.True(identity.IsIdentityToken);
        Assert.Equal("refresh-1", identity.Password);
        Assert.IsType<ExternalCredentials>(logins.For("ecr.example.com"));
        Assert.Null(logins.For("other.example.com"));
    }
}
