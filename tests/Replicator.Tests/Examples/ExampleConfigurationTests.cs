using SyncGateway.Replicator.Configuration;
using SyncGateway.Testing;

namespace SyncGateway.Replicator.Tests.Examples;

/// <summary>Every configuration under <c>examples/</c> loads without an error, as an operator would copy it.</summary>
public sealed class ExampleConfigurationTests
{
    private static readonly Dictionary<string, string> Environment = new(StringComparer.Ordinal)
    {
        ["HARBOR_PASSWORD"] = "harbor-secret",
        ["ACR_PASSWORD"] = "acr-secret",
        ["ACR_EE_PASSWORD"] = "acr-ee-secret",
        ["WEBHOOK_SECRET"] = "hook-secret",
    };

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Repository.Root(), "examples"), "*.*", SearchOption.AllDirectories)
                     .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal)))
        {
            data.Add(Path.GetRelativePath(Repository.Root(), file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Example_Loads_WithItsRules(string file)
    {
        var configuration = ConfigurationLoader.Load(
            new ConfigurationSources { ConfigFile = Path.Combine(Repository.Root(), file) },
            Environment.GetValueOrDefault);

        Assert.NotEmpty(configuration.Rules);
        Assert.All(configuration.Rules, rule => Assert.NotEmpty(rule.Destinations));
        if (configuration.Registries.FirstOrDefault(r => r.Host == "harbor.example.com:32080") is { } harbor)
        {
            Assert.Equal("robot$syncgateway", harbor.Credentials!.Username);
            Assert.Equal("harbor-secret", harbor.Credentials.Password);
        }
    }

}
