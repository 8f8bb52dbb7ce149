using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Daemon;

/// <summary>
/// <c>serve</c> as a daemon: webhook events, polling, the durable queue across a restart, and the
/// health and status endpoints, against real registries.
/// </summary>
public sealed class DaemonTests
{
    [Fact]
    public async Task ADistributionWebhook_IsReplicatedAtOnce_AndAWrongSecretQueuesNothing()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/hooked"]);
        var image = await seeder.PushImageAsync("lib/hooked", "1", [ImageSeeder.RandomBytes(10_000, 500)]);
        var envelope = $$$"""
            {"events": [
              {"id": "1", "action": "push", "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "repository": "lib/hooked", "tag": "1", "digest": "{{{image.Digest}}}"}, "request": {"host": "{{{source.Host}}}"}},
              {"id": "2", "action": "pull", "target": {"repository": "lib/hooked", "tag": "1"}}
            ]}
            """;
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };

        using var refused = await PostAsync(http, "api/webhooks/distribution", envelope, "wrong");
        using var anonymous = await PostAsync(http, "api/webhooks/distribution", envelope, null);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(0, await QueueDepthAsync(http));

        using var accepted = await PostAsync(http, "api/webhooks/distribution", envelope, "test-secret");
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Contains("\"queued\":1", await accepted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/hooked", "1") == image.Digest), gateway.Log);
    }

    [Fact]
    public async Task AHarborPushWebhook_IsReplicated()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["library/nginx"]);
        var image = await seeder.PushImageAsync("library/nginx", "1.25", [ImageSeeder.RandomBytes(10_000, 510)]);
        var harbor = $$$"""
            {"type": "PUSH_ARTIFACT", "occur_at": 1700000000, "operator": "admin",
             "event_data": {"resources": [{"digest": "{{{image.Digest}}}", "tag": "1.25", "resource_url": "{{{source.Host}}}/library/nginx:1.25"}],
                            "repository": {"name": "nginx", "namespace": "library", "repo_full_name": "library/nginx", "repo_type": "private"} } }
            """;
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };

        using var accepted = await PostAsync(http, "api/webhooks/harbor", harbor, "test-secret");

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/nginx", "1.25") == image.Digest), gateway.Log);
    }

    [Fact]
    public async Task AnImagePushedStraightToTheSource_IsReplicatedByPolling()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/polled"], pollInterval: "1s");

        var image = await seeder.PushImageAsync("lib/polled", "7", [ImageSeeder.RandomBytes(10_000, 520)]);

        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/polled", "7") == image.Digest), gateway.Log);
    }

    [Fact]
    public async Task QueuedWork_FailsVisibly_SurvivesARestart_AndCompletesOnceTheMirrorIsBack()
    {
        await using var source = await RegistryProcess.StartAsync();
        var mirrorPort = RegistryProcess.FreePort();
        var mirrorHost = $"127.0.0.1:{mirrorPort}";
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        var image = await seeder.PushImageAsync("lib/durable", "1", [ImageSeeder.RandomBytes(10_000, 530)]);
        var envelope = $$$"""{"events": [{"action": "push", "target": {"repository": "lib/durable", "tag": "1"}}]}""";

        // The mirror is not running: the copy fails, and stays queued with its reason.
        await using (var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirrorHost, ["lib/durable"]))
        {
            using var http = new HttpClient { BaseAddress = gateway.BaseUri };
            using var accepted = await PostAsync(http, "api/webhooks/distribution", envelope, "test-secret");
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            Assert.True(await Wait.UntilAsync(async () => (await StatusAsync(http)).GetProperty("queue").GetProperty("items").EnumerateArray().Any(i => i.GetProperty("attempts").GetInt32() > 0)), gateway.Log);
            var item = (await StatusAsync(http)).GetProperty("queue").GetProperty("items")[0];
            Assert.Equal($"{source.Host}/lib/durable:1", item.GetProperty("source").GetString());
            Assert.Contains("cannot be reached", item.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        }

        await using var mirror = await RegistryProcess.StartAsync(port: mirrorPort);
        using var atMirror = new ImageSeeder(mirror.Host);
        await using (var restarted = await RunningGateway.StartAsync(workspace, source.Host, mirrorHost, ["lib/durable"]))
        {
            using var http = new HttpClient { BaseAddress = restarted.BaseUri };
            Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/durable", "1") == image.Digest, seconds: 60), restarted.Log);
            Assert.True(await Wait.UntilAsync(async () => await QueueDepthAsync(http) == 0, seconds: 60), restarted.Log);
        }
    }

    [Fact]
    public async Task Readyz_StaysReadyWhileOnlyTheSourceIsDown_AndStatusDescribesTheUpstreams()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/app"]);
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };

        using var ready = await http.GetAsync("readyz");
        await source.StopAsync();
        using var sourceDown = await http.GetAsync("readyz");
        var status = await StatusAsync(http);
        await mirror.StopAsync();
        using var bothDown = await http.GetAsync("readyz");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, sourceDown.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, bothDown.StatusCode);
        var upstreams = status.GetProperty("upstreams").EnumerateArray().ToDictionary(u => u.GetProperty("role").GetString()!, u => u.GetProperty("reachable").GetBoolean());
        Assert.False(upstreams["source"]);
        Assert.True(upstreams["mirror"]);
        Assert.Equal($"{source.Host}/lib/app", status.GetProperty("rules")[0].GetProperty("source").GetString());
        Assert.NotEqual(JsonValueKind.Null, status.GetProperty("lastSync").ValueKind);
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, string path, string body, string? secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (secret is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        }

        return await http.SendAsync(request);
    }

    private static async Task<JsonElement> StatusAsync(HttpClient http) =>
        JsonDocument.Parse(await http.GetStringAsync("api/status")).RootElement;

    private static async Task<int> QueueDepthAsync(HttpClient http) =>
        (await StatusAsync(http)).GetProperty("queue").GetProperty("depth").GetInt32();

    [Fact]
    public async Task JsonLogs_AreOneObjectALine_WithTheStructuredFields()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/app"], logFormat: "json");
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };

        using var accepted = await PostAsync(http, "api/webhooks/distribution", """{"events": [{"action": "push", "target": {"repository": "lib/app", "tag": "9"} }]}""", "test-secret");

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var records = gateway.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var webhook = Assert.Single(records, r => r.GetProperty("eventId").GetInt32() == 4001);
        Assert.Equal(1, webhook.GetProperty("Queued").GetInt32());
        Assert.Equal("Information", webhook.GetProperty("level").GetString());
    }

    [Fact]
    public async Task RulesReload_WhenTheFileChanges_AndAFileWithErrorsIsRefusedWhole()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/a"]);
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };
        var b1 = await seeder.PushImageAsync("lib/b", "1", [ImageSeeder.RandomBytes(5000, 540)]);
        var b2 = await seeder.PushImageAsync("lib/b", "2", [ImageSeeder.RandomBytes(5000, 541)]);
        var original = await File.ReadAllTextAsync(gateway.ConfigPath);

        // Before the change lib/b has no rule: an event about it queues nothing.
        using (var ignored = await PostAsync(http, "api/webhooks/distribution", Push("lib/b", "1"), "test-secret"))
        {
            Assert.Contains("\"queued\":0", await ignored.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var withB = original.Replace("rules:\n", $"rules:\n  - source: {source.Host}/lib/b\n    destination: {mirror.Host}/mirror/b\n", StringComparison.Ordinal);
        await File.WriteAllTextAsync(gateway.ConfigPath, withB);
        Assert.True(await Wait.UntilAsync(() => Task.FromResult(gateway.Log.Contains("Reloaded the configuration", StringComparison.Ordinal))), gateway.Log);
        using (var accepted = await PostAsync(http, "api/webhooks/distribution", Push("lib/b", "1"), "test-secret"))
        {
            Assert.Contains("\"queued\":1", await accepted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/b", "1") == b1.Digest), gateway.Log);

        await File.WriteAllTextAsync(gateway.ConfigPath, withB + "\nrules: [unclosed\n");
        Assert.True(await Wait.UntilAsync(() => Task.FromResult(gateway.Log.Contains("Refused to reload", StringComparison.Ordinal))), gateway.Log);
        using (var still = await PostAsync(http, "api/webhooks/distribution", Push("lib/b", "2"), "test-secret"))
        {
            Assert.Contains("\"queued\":1", await still.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/b", "2") == b2.Digest), gateway.Log);
    }

    private static string Push(string repository, string tag) =>
        $$$"""{"events": [{"action": "push", "target": {"repository": "{{{repository}}}", "tag": "{{{tag}}}"} }]}""";
}
