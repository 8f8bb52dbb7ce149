using SyncGateway.Replicator.Configuration;

namespace SyncGateway.Replicator.Tests.Configuration;

public sealed class ConfigurationLoaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("syncgateway-config-").FullName;
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    private SyncConfiguration Load(string config, SyncDefaults? defaults = null) =>
        ConfigurationLoader.Load(new ConfigurationSources { ConfigFile = config, Defaults = defaults ?? new SyncDefaults(null, null) }, _environment.GetValueOrDefault);

    private ConfigurationException Fails(string config, SyncDefaults? defaults = null) =>
        Assert.Throws<ConfigurationException>(() => Load(config, defaults));

    [Fact]
    public void ImageSyncerJson_ReadsEveryDocumentedForm()
    {
        var digest = "sha256:" + new string('e', 64);
        var config = Write("config.json", $$"""
            {
              "auth": {
                "harbor.example.com:32080": {"username": "admin", "password": "xxx", "insecure": true},
                "registry.cn-beijing.aliyuncs.com/image-syncer": {"username": "pusher", "password": "yyy"}
              },
              "images": {
                "quay.io/coreos/kube-rbac-proxy": "quay.io/ruohe/kube-rbac-proxy",
                "harbor.example.com:32080/library/nginx": "",
                "harbor.example.com:32080/library/app:1.0,1.1,1.2": "registry.cn-beijing.aliyuncs.com/ns/app",
                "harbor.example.com:32080/library/api:/^v2\\./": ["registry.cn-beijing.aliyuncs.com/ns/api", "other.example.com/ns/api"],
                "harbor.example.com:32080/library/web@{{digest}}": "registry.cn-beijing.aliyuncs.com/ns/web"
              }
            }
            """);

        var configuration = Load(config, new SyncDefaults("registry.cn-beijing.aliyuncs.com", "mirror"));

        var harbor = configuration.Registries.Single(r => r.Host == "harbor.example.com:32080");
        Assert.True(harbor.Insecure);
        Assert.Equal("admin", harbor.Credentials!.Username);
        Assert.Equal("registry.cn-beijing.aliyuncs.com/image-syncer", configuration.Registries.Single(r => r.Host == "registry.cn-beijing.aliyuncs.com").Prefix);

        var rules = configuration.Rules.ToDictionary(r => r.Key);
        Assert.True(rules["images[quay.io/coreos/kube-rbac-proxy]"].Tags.NeedsListing);
        Assert.Equal("registry.cn-beijing.aliyuncs.com/mirror/nginx", rules["images[harbor.example.com:32080/library/nginx]"].Destinations.Single().Repository.Name);
        Assert.Equal(["1.0", "1.1", "1.2"], rules["images[harbor.example.com:32080/library/app:1.0,1.1,1.2]"].Tags.ExactTags);
        var api = rules["images[harbor.example.com:32080/library/api:/^v2\\./]"];
        Assert.Equal(2, api.Destinations.Count);
        Assert.True(api.Tags.Matches("v2.1"));
        Assert.False(api.Tags.Matches("v1.0"));
        Assert.Equal(digest, rules[$"images[harbor.example.com:32080/library/web@{digest}]"].Digest.ToString());
    }

    [Fact]
    public void ImageSyncerRegex_MatchesAnywhereInTheTag_ButNativeRegexMustMatchTheWholeTag()
    {
        var syncer = Load(Write("a.yaml", "images:\n  \"h.example.com/a:/1\\\\.2/\": \"d.example.com/a\"\n"));
        var native = Load(Write("b.yaml", "rules:\n  - source: h.example.com/a\n    destination: d.example.com/a\n    tags: [\"/1\\\\.2/\"]\n"));

        Assert.True(syncer.Rules.Single().Tags.Matches("v1.25"));
        Assert.False(native.Rules.Single().Tags.Matches("v1.25"));
        Assert.True(native.Rules.Single().Tags.Matches("1.2"));
    }

    [Fact]
    public void HarborRobotPassword_KeepsItsDollar_AndVariablesExpand()
    {
        _environment["PUSH_SECRET"] = "from-env";
        var config = Write("config.yaml", """
            auth:
              harbor.example.com:
                username: robot$ci+push
                password: pa$word
              registry.example.com:
                username: pusher
                password: ${PUSH_SECRET}
            images:
              harbor.example.com/lib/app: registry.example.com/lib/app
            """);

        var configuration = Load(config);

        Assert.Equal("robot$ci+push", configuration.Registries[0].Credentials!.Username);
        Assert.Equal("pa$word", configuration.Registries[0].Credentials!.Password);
        Assert.Equal("from-env", configuration.Registries[1].Credentials!.Password);
    }

    [Fact]
    public void NativeFile_DoubleDollarIsALiteralDollar_AndPasswordFileIsRead()
    {
        Write("secret", "file-secret\n");
        var config = Write("syncgateway.yaml", """
            registries:
              harbor.example.com:
                username: robot$$ci
                passwordFile: secret
            rules:
              - source: harbor.example.com/lib/app
                destination: registry.example.com/lib/app
            replicator:
              concurrency: 9
              retries: 0
              pollInterval: 30s
              records: /tmp/x.db
            """);

        var configuration = Load(config);

        Assert.Equal(new Registry.Auth.RegistryCredentials("robot$ci", "file-secret"), configuration.Registries.Single().Credentials);
        Assert.Equal(9, configuration.Replicator.Concurrency);
        Assert.Equal(0, configuration.Replicator.Retries);
        Assert.Equal(TimeSpan.FromSeconds(30), configuration.Replicator.PollInterval);
        Assert.Equal("/tmp/x.db", configuration.Replicator.Records);
    }

    [Fact]
    public void EmptyDestination_WithoutDefaults_IsAnError()
    {
        var error = Fails(Write("c.json", """{"images": {"h.example.com/lib/nginx": ""}}"""));

        Assert.Contains(error.Errors, e => e.Key == "images[h.example.com/lib/nginx]" && e.Message.Contains("--registry and --namespace", StringComparison.Ordinal));
    }

    [Fact]
    public void DestinationTags_MustMatchTheSourceTagsInNumber()
    {
        var error = Fails(Write("c.json", """{"images": {"h.example.com/lib/a:1,2,3": "d.example.com/lib/a:x,y"}}"""));

        Assert.Contains(error.Errors, e => e.Message.Contains("names 2 tag(s) but the source 3", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryError_IsReportedAtOnce_WithFileAndKey()
    {
        var config = Write("bad.json", """
            {
              "auth": {"not a host": {"username": "u"}},
              "images": {
                "h.example.com/UPPER/case": "d.example.com/x",
                "h.example.com/lib/a:/(/": "d.example.com/a",
                "h.example.com/lib/b@sha256:abc": "d.example.com/b",
                "h.example.com/lib/c": "d.example.com/c@sha256:0000000000000000000000000000000000000000000000000000000000000000",
                "h.example.com/lib/d": "${NOT_SET_ANYWHERE}/d"
              },
              "extra": 1
            }
            """);

        var error = Fails(config);

        Assert.All(error.Errors, e => Assert.Equal(config, e.File));
        Assert.Contains(error.Errors, e => e.Key == "extra" && e.Message.StartsWith("unknown key", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Key == "auth[not a host]");
        Assert.Contains(error.Errors, e => e.Key == "images[h.example.com/UPPER/case]");
        Assert.Contains(error.Errors, e => e.Key == "images[h.example.com/lib/a:/(/]" && e.Message.Contains("regular expression", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Key == "images[h.example.com/lib/b@sha256:abc]" && e.Message.Contains("digest", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Key == "images[h.example.com/lib/c]" && e.Message.Contains("cannot name a digest", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Message.Contains("'NOT_SET_ANYWHERE' is not set", StringComparison.Ordinal));
        Assert.True(error.Errors.Count >= 7, string.Join('\n', error.Errors));
    }

    [Fact]
    public void MalformedFiles_NameTheFileAndWhatIsWrong()
    {
        var yaml = Write("broken.yaml", "images:\n  a: [unclosed\n");
        var json = Write("broken.json", "{\"images\": ");
        var unknown = Write("config.toml", "x = 1");

        Assert.Contains("is not valid YAML (line", Fails(yaml).Errors.Single().Message, StringComparison.Ordinal);
        Assert.Contains("is not valid JSON", Fails(json).Errors.Single().Message, StringComparison.Ordinal);
        Assert.Contains("unknown file type", Fails(unknown).Errors.Single().Message, StringComparison.Ordinal);
        Assert.Contains("cannot be read", Fails(Path.Combine(_folder, "missing.yaml")).Errors.Single().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SplitForm_AuthAndImagesFiles_AreReadTogether()
    {
        var auth = Write("auth.yaml", "h.example.com:\n  username: u\n  password: p\n");
        var images = Write("images.yaml", "h.example.com/lib/a:1: d.example.com/lib/a\n");

        var configuration = ConfigurationLoader.Load(new ConfigurationSources { AuthFile = auth, ImagesFile = images }, _environment.GetValueOrDefault);

        Assert.Equal("u", configuration.Registries.Single().Credentials!.Username);
        Assert.Equal(["1"], configuration.Rules.Single().Tags.ExactTags);
    }

    [Fact]
    public void NativeGateway_BadAuthModeAndListen_AreErrors()
    {
        var config = Write("g.yaml", """
            rules:
              - source: h.example.com/a
                destination: d.example.com/a
            gateway:
              listen: tcp://0.0.0.0
              auth: basic
            """);

        var error = Fails(config);

        Assert.Contains(error.Errors, e => e.Key == "gateway.listen");
        Assert.Contains(error.Errors, e => e.Key == "gateway.htpasswd");
    }

    [Fact]
    public void RegistryLimitsAndProxies_AreRead_AndEveryBadOneIsNamed()
    {
        var good = Write("limits.yaml", """
            registries:
              "registry.example.com":
                maxRequests: 32
                requestsPerSecond: "12.5"
                bandwidth: 50MiB/s
                proxy: http://proxy.corp:3128
              "gitlab.example.com:5050":
                realm: http://gitlab.example.com/jwt/auth
            rules:
              - source: harbor.example.com/lib/app
                destination: registry.example.com/ns/app
            """);
        var bad = Write("bad-limits.yaml", """
            registries:
              "registry.example.com":
                maxRequests: -1
                requestsPerSecond: fast
                bandwidth: 50MB/s
                proxy: "proxy.corp:3128"
              "gitlab.example.com:5050":
                realm: http://elsewhere.example.com/jwt/auth
            rules:
              - source: harbor.example.com/lib/app
                destination: registry.example.com/ns/app
            """);

        var endpoint = Load(good).Registries.Single(r => r.Host == "registry.example.com");
        var errors = Fails(bad).Errors.Select(e => e.ToString()).ToList();

        Assert.Equal(32, endpoint.MaxRequests);
        Assert.Equal(12.5, endpoint.RequestsPerSecond);
        Assert.Equal(50L * 1024 * 1024, endpoint.Bandwidth);
        Assert.Equal(new Uri("http://proxy.corp:3128"), endpoint.Proxy);
        Assert.Equal(5, errors.Count);
        Assert.Contains(errors, e => e.Contains("registries[registry.example.com].maxRequests: '-1' is not a whole number from 1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("registries[registry.example.com].requestsPerSecond: 'fast' is not a number", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("registries[registry.example.com].bandwidth: '50MB/s' is not a bandwidth", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("registries[registry.example.com].proxy: 'proxy.corp:3128' is not an http:// or https:// URL", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("registries[gitlab.example.com:5050].realm: 'http://elsewhere.example.com/jwt/auth' is not on the registry's own host", StringComparison.Ordinal));
    }

    [Fact]
    public void PasswordCommand_IsRead_AndWithoutAUsernameOrBesideAPasswordIsNamed()
    {
        var good = Write("good.yaml", """
            registries:
              "acr.example.com":
                username: cr_temp_user
                passwordCommand: /usr/local/bin/acr-token --instance cri-1
            rules:
              - source: h.example.com/lib/a
                destination: acr.example.com/ns/a
            """);
        var bad = Write("bad.yaml", """
            registries:
              "one.example.com":
                passwordCommand: /usr/local/bin/token
              "two.example.com":
                username: u
                password: p
                passwordCommand: /usr/local/bin/token
            rules:
              - source: h.example.com/lib/a
                destination: one.example.com/ns/a
            """);

        var acr = Load(good).Registries.Single(r => r.Host == "acr.example.com");
        var errors = Fails(bad).Errors.Select(e => e.ToString()).ToList();

        Assert.NotNull(acr.CredentialSource);
        Assert.Null(acr.Credentials);
        Assert.Contains(errors, e => e.Contains("bad.yaml: registries[one.example.com].username: is required with passwordCommand", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("bad.yaml: registries[two.example.com]: give one of password, passwordFile and passwordCommand", StringComparison.Ordinal));
    }

    [Fact]
    public void RulePlatformsReferrersAndArtifactTypes_AreRead_AndABadPlatformIsNamed()
    {
        var good = Write("good.yaml", """
            rules:
              - source: h.example.com/lib/a
                destination: d.example.com/ns/a
                platforms: [linux/amd64, linux/arm/v7]
                referrers: false
              - source: h.example.com/lib/b
                destination: d.example.com/ns/b
                artifactTypes: ["application/spdx+json"]
            """);
        var bad = Write("bad.yaml", """
            rules:
              - source: h.example.com/lib/a
                destination: d.example.com/ns/a
                platforms: [amd64]
            """);

        var rules = Load(good).Rules;
        var error = Fails(bad).Errors.Single();

        Assert.Equal(["linux/amd64", "linux/arm/v7"], rules[0].Platforms.Platforms.Select(p => p.ToString()));
        Assert.False(rules[0].Referrers);
        Assert.True(rules[1].Referrers);
        Assert.True(rules[1].Platforms.IsEmpty);
        Assert.Equal(["application/spdx+json"], rules[1].ArtifactTypes);
        Assert.Equal("rules[0].platforms", error.Key);
        Assert.StartsWith("'amd64' is not a platform", error.Message, StringComparison.Ordinal);
    }
}
