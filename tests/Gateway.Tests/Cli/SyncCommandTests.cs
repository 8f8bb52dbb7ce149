using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>
/// <c>syncgateway sync</c> between two real distribution registries, checked the way a user would:
/// digests at the destination (read back over HTTP and with skopeo), exit codes and the summary.
/// </summary>
public sealed class SyncCommandTests
{
    [Fact]
    public async Task ImageSyncerConfig_SyncsEveryImage_WithIdenticalDigests()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();

        var base1 = ImageSeeder.RandomBytes(64 * 1024, 1);
        var app10 = await seeder.PushImageAsync("library/app", "1.0", [base1, ImageSeeder.RandomBytes(1000, 2)]);
        var app11 = await seeder.PushImageAsync("library/app", "1.1", [base1, ImageSeeder.RandomBytes(1000, 3)]);
        await seeder.PushImageAsync("library/app", "1.2", [base1]);
        var v21 = await seeder.PushImageAsync("library/api", "v2.1", [ImageSeeder.RandomBytes(2000, 4)], ImageSeeder.DockerManifest);
        var v22 = await seeder.PushImageAsync("library/api", "v2.2", [ImageSeeder.RandomBytes(2000, 5)]);
        await seeder.PushImageAsync("library/api", "v1.0", [ImageSeeder.RandomBytes(2000, 6)]);
        var nginx = await seeder.PushImageAsync("library/nginx", "stable", [ImageSeeder.RandomBytes(3000, 7)]);
        var nginxLatest = await seeder.PushImageAsync("library/nginx", "latest", [ImageSeeder.RandomBytes(3000, 8)]);
        var web = await seeder.PushImageAsync("library/web", "pinned", [ImageSeeder.RandomBytes(500, 9)]);

        var config = workspace.Write("config.json", $$"""
            {
              "auth": {
                "{{source.Host}}": {"username": "", "password": "", "insecure": true},
                "{{destination.Host}}": {"insecure": true}
              },
              "images": {
                "{{source.Host}}/library/app:1.0,1.1": "{{destination.Host}}/ns/app:one,two",
                "{{source.Host}}/library/api:/^v2\\./": ["{{destination.Host}}/ns/api", "{{destination.Host}}/other/api"],
                "{{source.Host}}/library/nginx": "",
                "{{source.Host}}/library/web@{{web.Digest}}": "{{destination.Host}}/ns/web"
              }
            }
            """);

        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records, "--registry", destination.Host, "--namespace", "mirror");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(app10.Digest, await reader.ManifestDigestAsync("ns/app", "one"));
        Assert.Equal(app11.Digest, await reader.ManifestDigestAsync("ns/app", "two"));
        Assert.Equal(v21.Digest, await reader.ManifestDigestAsync("ns/api", "v2.1"));
        Assert.Equal(v22.Digest, await reader.ManifestDigestAsync("other/api", "v2.2"));
        Assert.Null(await reader.ManifestDigestAsync("ns/api", "v1.0"));
        Assert.Equal(nginx.Digest, await reader.ManifestDigestAsync("mirror/nginx", "stable"));
        Assert.Equal(nginxLatest.Digest, await reader.ManifestDigestAsync("mirror/nginx", "latest"));
        Assert.Equal(web.Digest, await reader.ManifestDigestAsync("ns/web", web.Digest));
        Assert.Equal(app10.Digest, await Skopeo.ManifestDigestAsync($"{destination.Host}/ns/app:one"));
        Assert.Equal(v21.Digest, await Skopeo.ManifestDigestAsync($"{destination.Host}/other/api:v2.1"));
        Assert.Contains("Synced 9, already in sync 0, failed 0", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MultiArchIndex_KeepsItsDigest()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var amd64 = await seeder.PushImageAsync("library/multi", "amd64", [ImageSeeder.RandomBytes(4000, 10)]);
        var arm64 = await seeder.PushImageAsync("library/multi", "arm64", [ImageSeeder.RandomBytes(4000, 11)], architecture: "arm64");
        var index = await seeder.PushIndexAsync("library/multi", "1.0", [(amd64, "linux", "amd64"), (arm64, "linux", "arm64")]);
        var images = workspace.Write("images.yaml", $"\"{source.Host}/library/multi:1.0\": \"{destination.Host}/mirror/multi\"\n");
        var auth = workspace.Write("auth.yaml", $"\"{source.Host}\":\n  insecure: true\n\"{destination.Host}\":\n  insecure: true\n");

        var run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(index.Digest, await reader.ManifestDigestAsync("mirror/multi", "1.0"));
        Assert.Equal(index.Digest, await Skopeo.ManifestDigestAsync($"{destination.Host}/mirror/multi:1.0"));
        Assert.Equal(amd64.Digest, await reader.ManifestDigestAsync("mirror/multi", amd64.Digest));
        Assert.Equal(arm64.Digest, await reader.ManifestDigestAsync("mirror/multi", arm64.Digest));
        Assert.True(await reader.BlobExistsAsync("mirror/multi", arm64.LayerDigests[0]));
    }

    [Fact]
    public async Task SecondRun_CopiesNoBytes_AndSendsNoManifestGetToTheSource()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        await using var proxy = await FaultProxy.StartAsync(source.BaseUri);
        using var seeder = new ImageSeeder(source.Host);
        using var workspace = new Workspace();
        for (var i = 0; i < 3; i++)
        {
            await seeder.PushImageAsync($"team/app{i}", "1.0", [ImageSeeder.RandomBytes(10_000, 20 + i)]);
        }

        var config = workspace.Write("config.yaml", $"""
            auth:
              "{proxy.Host}": {"{"}insecure: true{"}"}
              "{destination.Host}": {"{"}insecure: true{"}"}
            images:
              "{proxy.Host}/team/app0": "{destination.Host}/copy/app0"
              "{proxy.Host}/team/app1": "{destination.Host}/copy/app1"
              "{proxy.Host}/team/app2": "{destination.Host}/copy/app2"
            """);

        var first = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records);
        Assert.True(first.ExitCode == 0, first.ToString());
        proxy.Requests.Clear();

        var second = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records);

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("Synced 0, already in sync 3, failed 0", second.Out, StringComparison.Ordinal);
        Assert.Contains("copied 0 (0 B)", second.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(proxy.Requests, r => r.StartsWith("GET ", StringComparison.Ordinal) && r.Contains("/manifests/", StringComparison.Ordinal));
        Assert.DoesNotContain(proxy.Requests, r => r.Contains("/blobs/", StringComparison.Ordinal));
        Assert.Contains(proxy.Requests, r => r.StartsWith("HEAD ", StringComparison.Ordinal) && r.Contains("/manifests/1.0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SharedBaseLayer_IsTransferredOncePerDestinationRegistry()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        await using var proxy = await FaultProxy.StartAsync(destination.BaseUri);
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var shared = ImageSeeder.RandomBytes(256 * 1024, 30);
        var sharedDigest = ImageSeeder.DigestOf(shared);
        var lines = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            await seeder.PushImageAsync($"svc/s{i}", "1", [shared, ImageSeeder.RandomBytes(1000, 31 + i)]);
            lines.Add($"\"{source.Host}/svc/s{i}:1\": \"{proxy.Host}/mirror/s{i}\"");
        }

        var images = workspace.Write("images.yaml", string.Join('\n', lines) + "\n");
        var auth = workspace.InsecureAuth(source.Host, proxy.Host);

        var run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records, "--proc", "8");

        Assert.True(run.ExitCode == 0, run.ToString());
        var uploads = proxy.Requests.Count(r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains(Uri.EscapeDataString(sharedDigest), StringComparison.Ordinal));
        Assert.Equal(1, uploads);
        Assert.Contains("mounted 7 (1.8 MiB)", run.Out, StringComparison.Ordinal);
        for (var i = 0; i < 8; i++)
        {
            Assert.True(await reader.BlobExistsAsync($"mirror/s{i}", sharedDigest), $"mirror/s{i} lacks the shared layer");
        }
    }

    [Fact]
    public async Task CorruptedBlobStream_FailsThatImage_AndLeavesNothingUnderItsTag()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        await using var proxy = await FaultProxy.StartAsync(source.BaseUri);
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var layer = ImageSeeder.RandomBytes(100_000, 40);
        var bad = await seeder.PushImageAsync("lib/bad", "1", [layer]);
        var good = await seeder.PushImageAsync("lib/good", "1", [ImageSeeder.RandomBytes(100_000, 41)]);
        proxy.Fault = async context =>
        {
            if (context.Request.Method == "GET" && context.Request.Path.Value!.EndsWith(bad.LayerDigests[0], StringComparison.Ordinal))
            {
                // Same length, one byte changed: only the digest can tell.
                var corrupted = (byte[])layer.Clone();
                corrupted[^1] ^= 0xFF;
                context.Response.ContentLength = corrupted.Length;
                await context.Response.Body.WriteAsync(corrupted);
                return true;
            }

            return false;
        };
        var images = workspace.Write("images.json", $$"""{"{{proxy.Host}}/lib/bad:1": "{{destination.Host}}/m/bad", "{{proxy.Host}}/lib/good:1": "{{destination.Host}}/m/good"}""");
        var auth = workspace.Write("auth.json", $$"""{"{{proxy.Host}}": {"insecure": true}, "{{destination.Host}}": {"insecure": true} }""");
        var failedList = Path.Combine(workspace.Folder, "failed.yaml");

        var run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records, "--retries", "1", "--output-failed-images", failedList);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains($"{proxy.Host}/lib/bad:1 -> {destination.Host}/m/bad:1", run.Out, StringComparison.Ordinal);
        Assert.True(run.Out.Contains("hashes to", StringComparison.Ordinal), run.ToString());
        Assert.Null(await reader.ManifestDigestAsync("m/bad", "1"));
        Assert.False(await reader.BlobExistsAsync("m/bad", bad.LayerDigests[0]));
        Assert.Equal(good.Digest, await reader.ManifestDigestAsync("m/good", "1"));
        Assert.Contains($"{proxy.Host}/lib/bad:1", await File.ReadAllTextAsync(failedList), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TooManyRequests_WithRetryAfter_IsWaitedOut()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        await using var proxy = await FaultProxy.StartAsync(source.BaseUri);
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var image = await seeder.PushImageAsync("lib/limited", "1", [ImageSeeder.RandomBytes(5000, 50)]);
        var refusals = new List<TimeSpan>();
        var retried = TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        proxy.Fault = async context =>
        {
            if (context.Request.Method == "GET" && context.Request.Path.Value!.EndsWith("/manifests/1", StringComparison.Ordinal))
            {
                if (refusals.Count < 1)
                {
                    refusals.Add(clock.Elapsed);
                    context.Response.StatusCode = 429;
                    context.Response.Headers.RetryAfter = "2";
                    context.Response.ContentType = "application/json";
                    await context.Response.WriteAsync("""{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}""");
                    return true;
                }

                retried = clock.Elapsed;
            }

            return false;
        };
        var images = workspace.Write("images.yaml", $"\"{proxy.Host}/lib/limited:1\": \"{destination.Host}/m/limited\"\n");
        var auth = workspace.InsecureAuth(proxy.Host, destination.Host);

        var run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Single(refusals);
        Assert.True(retried - refusals[0] >= TimeSpan.FromSeconds(1.9), $"the retry came {retried - refusals[0]} after the 429 that asked for 2 s");
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("m/limited", "1"));
        Assert.Contains("retries 1", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BasicAuth_WithDollarInPassword_Works_AndAWrongPasswordFailsThatImageOnly()
    {
        await using var source = await RegistryProcess.StartAsync("robot$ci", "pa$$word");
        await using var destination = await RegistryProcess.StartAsync("pusher", "s3cret");
        using var seeder = new ImageSeeder(source.Host, "robot$ci", "pa$$word");
        using var reader = new ImageSeeder(destination.Host, "pusher", "s3cret");
        using var workspace = new Workspace();
        var image = await seeder.PushImageAsync("private/app", "1", [ImageSeeder.RandomBytes(5000, 60)]);
        var variable = "SYNCGATEWAY_TEST_PUSHER_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "s3cret");
        var config = workspace.Write("config.json", $$"""
            {
              "auth": {
                "{{source.Host}}/private": {"username": "robot$ci", "password": "pa$$word", "insecure": true},
                "{{source.Host}}/other": {"username": "robot$ci", "password": "wrong", "insecure": true},
                "{{destination.Host}}": {"username": "pusher", "password": "${{{variable}}}", "insecure": true}
              },
              "images": {
                "{{source.Host}}/private/app:1": "{{destination.Host}}/m/app",
                "{{source.Host}}/other/app:1": "{{destination.Host}}/m/other"
              }
            }
            """);

        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.True(image.Digest == await reader.ManifestDigestAsync("m/app", "1"), run.ToString());
        Assert.Contains($"{source.Host}/other/app:1 -> {destination.Host}/m/other:1", run.Out, StringComparison.Ordinal);
        Assert.Contains("401", run.Out, StringComparison.Ordinal);
        Assert.Contains("Synced 1", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingSourceRepository_FailsThatRule_AndTheOthersStillSync()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var image = await seeder.PushImageAsync("lib/here", "1", [ImageSeeder.RandomBytes(5000, 70)]);
        var config = workspace.Write("config.yaml", $"""
            auth:
              "{source.Host}": {"{"}insecure: true{"}"}
              "{destination.Host}": {"{"}insecure: true{"}"}
              "127.0.0.1:1": {"{"}insecure: true{"}"}
            images:
              "{source.Host}/lib/here": "{destination.Host}/m/here"
              "{source.Host}/lib/absent": "{destination.Host}/m/absent"
              "{source.Host}/lib/here:nope": "{destination.Host}/m/nope"
              "127.0.0.1:1/lib/unreachable:1": "{destination.Host}/m/unreachable"
            """);

        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records, "--retries", "0");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("m/here", "1"));
        Assert.Contains("Failed to generate:", run.Out, StringComparison.Ordinal);
        Assert.Contains($"images[{source.Host}/lib/absent]: the source repository {source.Host}/lib/absent does not exist", run.Out, StringComparison.Ordinal);
        Assert.Contains($"{source.Host}/lib/here:nope -> {destination.Host}/m/nope:nope", run.Out, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:1/lib/unreachable:1 -> ", run.Out, StringComparison.Ordinal);
        Assert.Contains("cannot be reached", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadConfiguration_ExitsWith2_NamesEveryError_AndTouchesNothing()
    {
        await using var destination = await RegistryProcess.StartAsync();
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var config = workspace.Write("bad.yaml", $"""
            registries:
              "{destination.Host}":
                insecure: maybe
                pasword: x
            rules:
              - source: harbor.example.com/Library/App
                destination: {destination.Host}/m/app
              - source: harbor.example.com/library/ok
                destinations: ["{destination.Host}/m/ok"]
                tags: ["/[unclosed/"]
              - source: harbor.example.com/library/env
                destination: {destination.Host}/m/${"{"}SYNCGATEWAY_TEST_UNSET_VARIABLE{"}"}
              - source: harbor.example.com/library/nodest
            replicator:
              concurrency: lots
            """);

        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains($"{config}: registries[{destination.Host}].insecure: 'maybe' is not true or false", run.Error, StringComparison.Ordinal);
        Assert.Contains($"registries[{destination.Host}].pasword: unknown key", run.Error, StringComparison.Ordinal);
        Assert.Contains("rules[0] (harbor.example.com/Library/App): 'Library/App' is not a valid repository name", run.Error, StringComparison.Ordinal);
        Assert.Contains("rules[1] (harbor.example.com/library/ok): '/[unclosed/' is not a valid regular expression", run.Error, StringComparison.Ordinal);
        Assert.Contains("the environment variable 'SYNCGATEWAY_TEST_UNSET_VARIABLE' is not set", run.Error, StringComparison.Ordinal);
        Assert.Contains("rules[3]: needs destination or destinations", run.Error, StringComparison.Ordinal);
        Assert.Contains("replicator.concurrency: 'lots' is not a whole number", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(workspace.Records), "a bad configuration must not create the records");
        Assert.Empty(await reader.TagsAsync("m/ok"));
    }

    [Fact]
    public async Task NativeConfig_TagPatternsMatchWholeTags_ExcludesApply_AndLargeBlobsGoInChunks()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        await using var proxy = await FaultProxy.StartAsync(destination.BaseUri);
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var big = await seeder.PushImageAsync("lib/web", "1.25", [ImageSeeder.RandomBytes(3 * 1024 * 1024 + 123, 80)]);
        await seeder.PushImageAsync("lib/web", "1.25-rc1", [ImageSeeder.RandomBytes(100, 81)]);
        await seeder.PushImageAsync("lib/web", "21.25", [ImageSeeder.RandomBytes(100, 82)]);
        var config = workspace.Write("syncgateway.yaml", $"""
            registries:
              "{source.Host}":
                insecure: true
              "{proxy.Host}":
                insecure: true
                chunkSize: 1MiB
            rules:
              - source: {source.Host}/lib/web
                destinations: [{proxy.Host}/m/web]
                tags: ["/1\\.2[0-9].*/"]
                excludeTags: ["/.*-rc.*/"]
            replicator:
              concurrency: 2
              records: {workspace.Records}
            """);

        var run = await CliRun.InvokeAsync("sync", "--config", config);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["1.25"], await reader.TagsAsync("m/web"));
        Assert.Equal(big.Digest, await reader.ManifestDigestAsync("m/web", "1.25"));
        Assert.True(proxy.Requests.Count(r => r.StartsWith("PATCH ", StringComparison.Ordinal)) >= 4, string.Join('\n', proxy.Requests));
        Assert.True(File.Exists(workspace.Records));
    }

    [Fact]
    public async Task DryRun_PrintsThePlan_AndTouchesNothing()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        await seeder.PushImageAsync("lib/a", "1", [ImageSeeder.RandomBytes(100, 90)]);
        await seeder.PushImageAsync("lib/a", "2", [ImageSeeder.RandomBytes(100, 91)]);
        var images = workspace.Write("images.yaml", $"\"{source.Host}/lib/a\": \"{destination.Host}/m/a\"\n");
        var auth = workspace.InsecureAuth(source.Host, destination.Host);

        var run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records, "--dry-run");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Plan: 2 images", run.Out, StringComparison.Ordinal);
        Assert.Contains($"{source.Host}/lib/a:2 -> {destination.Host}/m/a:2", run.Out, StringComparison.Ordinal);
        Assert.Empty(await reader.TagsAsync("m/a"));
        Assert.False(File.Exists(workspace.Records));
    }

    [Fact]
    public async Task RecordsContradictedByTheDestination_AreCorrected_AndTheBlobIsCopied()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var layer = ImageSeeder.RandomBytes(50_000, 95);
        await seeder.PushImageAsync("lib/a", "1", [layer]);
        var b = await seeder.PushImageAsync("lib/b", "1", [layer]);
        var auth = workspace.InsecureAuth(source.Host, destination.Host);
        var first = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", workspace.Write("a.yaml", $"\"{source.Host}/lib/a:1\": \"{destination.Host}/m/a\"\n"), "--records", workspace.Records);
        Assert.True(first.ExitCode == 0, first.ToString());

        // Someone removes the layer from m/a behind the records' back.
        using (var http = new HttpClient())
        {
            using var deleted = await http.DeleteAsync(new Uri(destination.BaseUri, $"v2/m/a/blobs/{ImageSeeder.DigestOf(layer)}"));
            Assert.Equal(System.Net.HttpStatusCode.Accepted, deleted.StatusCode);
        }

        var second = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", workspace.Write("b.yaml", $"\"{source.Host}/lib/b:1\": \"{destination.Host}/m/b\"\n"), "--records", workspace.Records);

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("did not mount it; forgetting that record", second.Error, StringComparison.Ordinal);
        Assert.Equal(b.Digest, await reader.ManifestDigestAsync("m/b", "1"));
        Assert.True(await reader.BlobExistsAsync("m/b", ImageSeeder.DigestOf(layer)));
    }

    [Fact]
    public async Task PlatformFilter_CopiesOnlyTheChosenArchitecture_AndSaysTheIndexDigestChanged()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var amd64 = await seeder.PushImageAsync("library/multi", "amd64", [ImageSeeder.RandomBytes(4000, 100)]);
        var arm64 = await seeder.PushImageAsync("library/multi", "arm64", [ImageSeeder.RandomBytes(4000, 101)], architecture: "arm64");
        var index = await seeder.PushIndexAsync("library/multi", "1.0", [(amd64, "linux", "amd64"), (arm64, "linux", "arm64")]);
        var images = workspace.Write("images.yaml", $"\"{source.Host}/library/multi:1.0\": \"{destination.Host}/mirror/multi\"\n");
        var auth = workspace.InsecureAuth(source.Host, destination.Host);
        var success = Path.Combine(workspace.Folder, "success.json");

        var run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records, "--arch", "arm64", "--output-success-images", success, "--output-images-format", "json");
        var again = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records, "--arch", "arm64");

        Assert.True(run.ExitCode == 0, run.ToString());
        var copied = await reader.ManifestDigestAsync("mirror/multi", "1.0");
        Assert.NotNull(copied);
        Assert.NotEqual(index.Digest, copied);
        Assert.Contains($"digest {index.Digest} becomes {copied}", run.Error, StringComparison.Ordinal);
        Assert.Equal(arm64.Digest, await reader.ManifestDigestAsync("mirror/multi", arm64.Digest));
        Assert.Null(await reader.ManifestDigestAsync("mirror/multi", amd64.Digest));
        Assert.Contains($"\"{source.Host}/library/multi:1.0\": \"{destination.Host}/mirror/multi:1.0\"", await File.ReadAllTextAsync(success), StringComparison.Ordinal);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("Synced 0, already in sync 1", again.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailedImagesFile_FeedsStraightBackIntoImages()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var auth = workspace.InsecureAuth(source.Host, destination.Host);
        var images = workspace.Write("images.yaml", $"\"{source.Host}/lib/late:1\": \"{destination.Host}/m/late\"\n");
        var failed = Path.Combine(workspace.Folder, "failed.yaml");

        var first = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records, "--retries", "0", "--output-failed-images", failed);
        var late = await seeder.PushImageAsync("lib/late", "1", [ImageSeeder.RandomBytes(1000, 110)]);
        var retry = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", failed, "--records", workspace.Records);

        Assert.True(first.ExitCode == 1, first.ToString());
        Assert.True(retry.ExitCode == 0, retry.ToString());
        Assert.Equal(late.Digest, await reader.ManifestDigestAsync("m/late", "1"));
    }
}
