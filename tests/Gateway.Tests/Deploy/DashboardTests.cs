using System.Text.Json;
using System.Text.RegularExpressions;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Deploy;

/// <summary>Every query of the Grafana dashboard names only metrics that the running program exports.</summary>
public sealed partial class DashboardTests
{
    [Fact]
    public async Task EveryDashboardQuery_NamesOnlyExportedMetrics()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/app"]);
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };
        var exported = TypeLine().Matches(await http.GetStringAsync("metrics")).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);
        var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Repository.Root(), "deploy", "grafana", "syncgateway.json"))).RootElement;

        var expressions = dashboard.GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray())
            .Select(target => target.GetProperty("expr").GetString()!)
            .ToList();

        Assert.True(expressions.Count >= 10, "the dashboard covers throughput, backends, lag, queue, failures and rate limits");
        foreach (var expression in expressions)
        {
            var names = MetricName().Matches(expression).Select(m => HistogramSeries().Replace(m.Value, string.Empty)).ToList();
            Assert.NotEmpty(names);
            Assert.All(names, name => Assert.True(exported.Contains(name), $"'{expression}' names {name}, which the program does not export"));
        }
    }

    [GeneratedRegex(@"^# TYPE (?<name>\S+) ", RegexOptions.Multiline)]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"syncgateway_[a-z_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex HistogramSeries();
}
