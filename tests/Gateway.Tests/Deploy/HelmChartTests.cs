using System.Text.RegularExpressions;
using SyncGateway.Replicator.Configuration;
using YamlDotNet.RepresentationModel;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Deploy;

/// <summary>
/// The Helm chart's sources, read as text: every value a template reads is defined and documented
/// in values.yaml, and the default configuration is one SyncGateway accepts. What Helm renders from
/// them is checked in <see cref="HelmRenderTests"/>.
/// </summary>
public sealed partial class HelmChartTests
{
    private static readonly string Chart = Path.Combine(Repository.Root(), "deploy", "helm", "syncgateway");

    [Fact]
    public void EveryValueATemplateReads_IsDefinedInValuesYaml()
    {
        var values = (YamlMappingNode)Load(Path.Combine(Chart, "values.yaml"));
        var missing = new List<string>();
        foreach (var template in Directory.EnumerateFiles(Path.Combine(Chart, "templates")))
        {
            foreach (Match reference in ValuesReference().Matches(File.ReadAllText(template)))
            {
                YamlNode? node = values;
                foreach (var key in reference.Groups["path"].Value.Split('.'))
                {
                    node = node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;
                }

                if (node is null)
                {
                    missing.Add($"{Path.GetFileName(template)}: .Values.{reference.Groups["path"].Value}");
                }
            }
        }

        Assert.Empty(missing);
    }

    [Fact]
    public void TheDefaultConfiguration_IsAValidSyncgatewayYaml()
    {
        var text = File.ReadAllText(Path.Combine(Chart, "values.yaml"));
        var block = ConfigBlock().Match(text);
        Assert.True(block.Success, "values.yaml has a config: block");
        var folder = Directory.CreateTempSubdirectory("syncgateway-chart-").FullName;
        try
        {
            var file = Path.Combine(folder, "syncgateway.yaml");
            var dedented = string.Join('\n', block.Groups["body"].Value.Split('\n').Select(line => line.Length >= 2 ? line[2..] : line));
            File.WriteAllText(file, dedented + "\n");
            var environment = new Dictionary<string, string> { ["HARBOR_PASSWORD"] = "h", ["ACR_PASSWORD"] = "a", ["WEBHOOK_SECRET"] = "w" };

            var configuration = ConfigurationLoader.Load(new ConfigurationSources { ConfigFile = file }, environment.GetValueOrDefault);

            Assert.NotEmpty(configuration.Rules);
            Assert.Equal("harbor.example.com:32080", configuration.Gateway!.Source);
            Assert.Equal("w", configuration.Gateway.WebhookSecret);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static YamlNode Load(string path)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(path)));
        return stream.Documents[0].RootNode;
    }

    [GeneratedRegex(@"\.Values\.(?<path>[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*)")]
    private static partial Regex ValuesReference();

    [GeneratedRegex(@"^config:\n(?<body>(?:(?:  .*)?\n)+?)(?=^\S)", RegexOptions.Multiline)]
    private static partial Regex ConfigBlock();
}
