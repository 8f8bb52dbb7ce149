using SyncGateway.Replicator.Configuration;
using YamlDotNet.RepresentationModel;
using static SyncGateway.Gateway.Tests.Deploy.RenderedChart;

namespace SyncGateway.Gateway.Tests.Deploy;

/// <summary>
/// The chart rendered by the real Helm 3 (<c>helm lint</c>, <c>helm template</c>) in each mode, and
/// the rendered objects checked for what a cluster would run: the shard wiring of the Indexed Job
/// and of the replicator StatefulSet, the gateway's route to each push's owner, probes, resources,
/// the security context, volumes and the ServiceMonitor.
/// </summary>
public sealed class HelmRenderTests
{
    private const string Name = "rel-syncgateway";

    /// <summary>Each mode and the value combinations that change what is rendered, <c>;</c> between the <c>--set</c> values.</summary>
    public static TheoryData<string> Combinations() => new()
    {
        "mode=daemon",
        "mode=daemon;replicator.replicas=3;gateway.replicas=4;serviceMonitor.enabled=true",
        "mode=job",
        "mode=job;job.shards=16;job.parallelism=4;job.records.type=persistentVolumeClaim;job.maxFailedIndexes=2",
        "mode=job;job.records.type=persistentVolumeClaim;job.records.existingClaim=migration-records",
        "mode=job;job.records.type=ephemeral;job.records.storageClassName=fast",
        "mode=job;job.shards=16;job.rerunShards={3,11};job.records.type=persistentVolumeClaim",
        "mode=cronjob",
        "mode=cronjob;cronjob.schedule=*/30 * * * *;cronjob.timeZone=Asia/Shanghai;job.shards=8",
    };

    [Fact]
    public async Task Helm3_IsInstalled()
    {
        var (exitCode, output, errors) = await Helm.RunAsync(["version", "--short"]);

        Assert.True(exitCode == 0, errors);
        Assert.StartsWith("v3.", output.Trim(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task EveryModeAndCombination_LintsStrictlyAndRenders(string values)
    {
        var sets = values.Split(';');

        var (exitCode, output, errors) = await Helm.RunAsync(["lint", "--strict", Helm.Chart, .. Helm.Sets(sets)]);
        var rendered = await Helm.TemplateAsync(sets);

        Assert.True(exitCode == 0, output + errors);
        Assert.Contains("1 chart(s) linted, 0 chart(s) failed", output, StringComparison.Ordinal);
        Assert.NotEmpty(rendered.PodSpecs());
    }

    [Fact]
    public async Task TheIndexedJob_CarriesTheShardCountToEachPod_AndRetriesAFailedShardAlone()
    {
        var rendered = await Helm.TemplateAsync("mode=job", "job.shards=16", "job.parallelism=4");

        var job = Map(rendered.Single("Job", $"{Name}-sync"), "spec");
        Assert.Equal("Indexed", Text(job, "completionMode"));
        Assert.Equal("16", Text(job, "completions"));
        Assert.Equal("4", Text(job, "parallelism"));
        Assert.Equal("2", Text(job, "backoffLimitPerIndex"));
        Assert.Equal("Never", Text(job, "template", "spec", "restartPolicy"));
        var container = Named(Items(job, "template", "spec", "containers"), "sync");
        var args = Strings(container, "args");
        Assert.Equal("sync", args[0]);
        Assert.Equal(Text(job, "completions"), ValueAfter(args, "--shards"));
        Assert.Equal("/records/syncgateway.db", ValueAfter(args, "--records"));
        Assert.Equal("/etc/syncgateway/syncgateway.yaml", ValueAfter(args, "--config"));
        Assert.DoesNotContain("--shard", args);
        var index = Named(Items(container, "env"), "JOB_COMPLETION_INDEX");
        Assert.Equal("metadata.annotations['batch.kubernetes.io/job-completion-index']", Text(index, "valueFrom", "fieldRef", "fieldPath"));
        // The pod name of an Indexed Job ends in a random suffix, not the index: it must not be the shard's source.
        Assert.DoesNotContain(Items(container, "env"), item => Text(item, "name") == "POD_NAME");
        var rules = Items(job, "podFailurePolicy", "rules");
        var badConfiguration = rules.Single(rule => Text(rule, "action") == "FailIndex");
        Assert.Equal(["2"], Strings(badConfiguration, "onExitCodes", "values"));
        Assert.Equal("sync", Text(badConfiguration, "onExitCodes", "containerName"));
    }

    [Fact]
    public async Task TheIndexedJob_RunsAllShardsAtOnceByDefault_AndPassesExtraFlags()
    {
        var rendered = await Helm.TemplateAsync("mode=job", "job.shards=6", "job.extraArgs={--no-overwrite,--proc,8}");

        var job = Map(rendered.Single("Job", $"{Name}-sync"), "spec");
        var args = Strings(Named(Items(job, "template", "spec", "containers"), "sync"), "args");
        Assert.Equal("6", Text(job, "completions"));
        Assert.Equal("6", Text(job, "parallelism"));
        Assert.Equal("6", ValueAfter(args, "--shards"));
        Assert.Equal(["--no-overwrite", "--proc", "8"], args.TakeLast(3));
    }

    [Theory]
    [InlineData("mode=job")]
    [InlineData("mode=cronjob")]
    public async Task TheSyncModes_RenderNoGatewayNorReplicatorNorServiceMonitor(string mode)
    {
        var rendered = await Helm.TemplateAsync(mode, "serviceMonitor.enabled=true");

        Assert.Empty(rendered.OfKind("Deployment"));
        Assert.Empty(rendered.OfKind("StatefulSet"));
        Assert.Empty(rendered.OfKind("Service"));
        Assert.Empty(rendered.OfKind("ServiceMonitor"));
        var config = RenderedConfig(rendered);
        Assert.Equal("/records/syncgateway.db", Text(config, "replicator", "records"));
        Assert.Null(Node(config, "gateway", "replicator"));
    }

    [Fact]
    public async Task JobRecords_OnEmptyDir_AreMountedAtRecords()
    {
        var rendered = await Helm.TemplateAsync("mode=job", "job.records.sizeLimit=2Gi");

        var pod = SyncPod(rendered);
        var records = Named(Items(pod, "volumes"), "records");
        var mount = Named(Items(Named(Items(pod, "containers"), "sync"), "volumeMounts"), "records");
        Assert.Equal("2Gi", Text(records, "emptyDir", "sizeLimit"));
        Assert.Equal("/records", Text(mount, "mountPath"));
        Assert.Empty(rendered.OfKind("PersistentVolumeClaim"));
    }

    [Fact]
    public async Task JobRecords_OnOneClaim_GiveEachShardItsOwnFolderThatOutlivesThePod()
    {
        var rendered = await Helm.TemplateAsync("mode=job", "job.records.type=persistentVolumeClaim", "job.records.size=5Gi", "job.records.storageClassName=nfs");

        var claim = rendered.Single("PersistentVolumeClaim", $"{Name}-records");
        var pod = SyncPod(rendered);
        var mount = Named(Items(Named(Items(pod, "containers"), "sync"), "volumeMounts"), "records");
        Assert.Equal("shard-$(JOB_COMPLETION_INDEX)", Text(mount, "subPathExpr"));
        Assert.Equal($"{Name}-records", Text(Named(Items(pod, "volumes"), "records"), "persistentVolumeClaim", "claimName"));
        Assert.Equal("5Gi", Text(claim, "spec", "resources", "requests", "storage"));
        Assert.Equal("nfs", Text(claim, "spec", "storageClassName"));
        Assert.Equal(["ReadWriteMany"], Strings(claim, "spec", "accessModes"));
        Assert.Equal("keep", Text(claim, "metadata", "annotations", "helm.sh/resource-policy"));
    }

    [Fact]
    public async Task JobRecords_OnAnExistingClaim_UseItAndMakeNone()
    {
        var rendered = await Helm.TemplateAsync("mode=job", "job.records.type=persistentVolumeClaim", "job.records.existingClaim=migration-records");

        Assert.Empty(rendered.OfKind("PersistentVolumeClaim"));
        Assert.Equal("migration-records", Text(Named(Items(SyncPod(rendered), "volumes"), "records"), "persistentVolumeClaim", "claimName"));
    }

    [Fact]
    public async Task JobRecords_Ephemeral_GiveEachPodItsOwnClaim()
    {
        var rendered = await Helm.TemplateAsync("mode=job", "job.records.type=ephemeral", "job.records.size=3Gi");

        var template = Map(Named(Items(SyncPod(rendered), "volumes"), "records"), "ephemeral", "volumeClaimTemplate", "spec");
        Assert.Equal(["ReadWriteOnce"], Strings(template, "accessModes"));
        Assert.Equal("3Gi", Text(template, "resources", "requests", "storage"));
    }

    [Fact]
    public async Task RerunShards_RunEachListedShardAlone_OnItsOwnRecords()
    {
        var rendered = await Helm.TemplateAsync("mode=job", "job.shards=16", "job.rerunShards={3,11}", "job.records.type=persistentVolumeClaim");

        Assert.Equal([$"{Name}-sync-shard-3", $"{Name}-sync-shard-11"], rendered.OfKind("Job").Select(job => Text(job, "metadata", "name")));
        foreach (var shard in new[] { 3, 11 })
        {
            var job = Map(rendered.Single("Job", $"{Name}-sync-shard-{shard}"), "spec");
            var container = Named(Items(job, "template", "spec", "containers"), "sync");
            Assert.Null(Text(job, "completionMode"));
            Assert.Equal("1", Text(job, "completions"));
            Assert.Equal("2", Text(job, "backoffLimit"));
            Assert.Equal($"{shard}/16", ValueAfter(Strings(container, "args"), "--shard"));
            Assert.DoesNotContain("--shards", Strings(container, "args"));
            Assert.Equal($"shard-{shard}", Text(Named(Items(container, "volumeMounts"), "records"), "subPath"));
            Assert.Equal("FailJob", Text(Items(job, "podFailurePolicy", "rules")[0], "action"));
        }

        // The same folder the Indexed Job gave that shard: shard-$(JOB_COMPLETION_INDEX) on the same claim.
        var indexed = SyncPod(await Helm.TemplateAsync("mode=job", "job.shards=16", "job.records.type=persistentVolumeClaim"));
        Assert.Equal(
            Text(Named(Items(indexed, "volumes"), "records"), "persistentVolumeClaim", "claimName"),
            Text(Named(Items(Map(rendered.Single("Job", $"{Name}-sync-shard-3"), "spec", "template", "spec"), "volumes"), "records"), "persistentVolumeClaim", "claimName"));
    }

    [Fact]
    public async Task TheCronJob_RunsTheSameIndexedJob_NeverTwoAtOnce()
    {
        var job = await Helm.TemplateAsync("mode=job", "job.shards=8");
        var cron = await Helm.TemplateAsync("mode=cronjob", "job.shards=8", "cronjob.schedule=15 3 * * 6");

        var cronJob = Map(cron.Single("CronJob", $"{Name}-sync"), "spec");
        Assert.Equal("15 3 * * 6", Text(cronJob, "schedule"));
        Assert.Equal("Forbid", Text(cronJob, "concurrencyPolicy"));
        Assert.Empty(cron.OfKind("Job"));
        Assert.Equal(Yaml(Map(job.Single("Job", $"{Name}-sync"), "spec")), Yaml(Map(cronJob, "jobTemplate", "spec")));
    }

    [Fact]
    public async Task TheDaemon_ShardsTheReplicators_AndRoutesEachPushToItsOwnersPod()
    {
        var rendered = await Helm.TemplateAsync("replicator.replicas=3");

        var statefulSet = rendered.Single("StatefulSet", $"{Name}-replicator");
        var headless = rendered.Single("Service", Text(statefulSet, "spec", "serviceName")!);
        Assert.Equal("3", Text(statefulSet, "spec", "replicas"));
        Assert.Equal("None", Text(headless, "spec", "clusterIP"));
        Assert.Equal("false", Text(headless, "spec", "publishNotReadyAddresses"));
        var podLabels = Map(statefulSet, "spec", "template", "metadata", "labels");
        Assert.All(Map(headless, "spec", "selector").Children, selector => Assert.Equal(selector.Value, podLabels[selector.Key]));

        var replicator = Named(Items(statefulSet, "spec", "template", "spec", "containers"), "replicator");
        var replicatorArgs = Strings(replicator, "args");
        Assert.Equal(["serve", "--role", "replicator"], replicatorArgs.Take(3));
        Assert.Equal("3", ValueAfter(replicatorArgs, "--shards"));
        Assert.Equal("metadata.name", Text(Named(Items(replicator, "env"), "POD_NAME"), "valueFrom", "fieldRef", "fieldPath"));
        var gatewayArgs = Strings(Named(Items(rendered.Single("Deployment", $"{Name}-gateway"), "spec", "template", "spec", "containers"), "gateway"), "args");
        Assert.Equal(["serve", "--role", "gateway"], gatewayArgs.Take(3));
        Assert.Equal("3", ValueAfter(gatewayArgs, "--shards"));

        // Shard k's address is the DNS name Kubernetes gives StatefulSet pod k under the headless Service.
        var template = Text(RenderedConfig(rendered), "gateway", "replicator")!;
        Assert.Contains("{shard}", template, StringComparison.Ordinal);
        var owner = new Uri(template.Replace("{shard}", "2", StringComparison.Ordinal));
        Assert.Equal($"{Text(statefulSet, "metadata", "name")}-2.{Text(headless, "metadata", "name")}", owner.Host);
        Assert.Equal(5000, owner.Port);
        Assert.Equal("/var/lib/syncgateway/syncgateway.db", Text(RenderedConfig(rendered), "replicator", "records"));
    }

    [Fact]
    public async Task TheDaemon_KeepsEachReplicasRecordsOnItsOwnClaim_AndStartsReplicasTogether()
    {
        var rendered = await Helm.TemplateAsync("replicator.replicas=2", "replicator.persistence.size=20Gi");

        var statefulSet = Map(rendered.Single("StatefulSet", $"{Name}-replicator"), "spec");
        var claim = Named(Items(statefulSet, "volumeClaimTemplates").Select(item => Map(item, "metadata")), "records");
        var mount = Named(Items(Named(Items(statefulSet, "template", "spec", "containers"), "replicator"), "volumeMounts"), "records");
        Assert.Equal("records", Text(claim, "name"));
        Assert.Equal("/var/lib/syncgateway", Text(mount, "mountPath"));
        Assert.Equal("20Gi", Text(Items(statefulSet, "volumeClaimTemplates")[0], "spec", "resources", "requests", "storage"));
        Assert.Equal("Parallel", Text(statefulSet, "podManagementPolicy"));
    }

    [Theory]
    [InlineData("mode=daemon", "replicator.replicas=2")]
    [InlineData("mode=job", "job.records.type=persistentVolumeClaim")]
    [InlineData("mode=cronjob", "job.records.type=ephemeral")]
    public async Task EveryPod_RunsAsNonRoot_WithAReadOnlyRoot_NoCapabilities_ResourcesAndItsVolumes(string mode, string records)
    {
        var rendered = await Helm.TemplateAsync(mode, records);

        var pods = rendered.PodSpecs().ToList();
        Assert.NotEmpty(pods);
        foreach (var (owner, pod) in pods)
        {
            Assert.True(Text(pod, "securityContext", "runAsNonRoot") == "true", owner);
            Assert.True(Text(pod, "securityContext", "runAsUser") == "10001", owner);
            var volumes = Items(pod, "volumes").Select(volume => Text(volume, "name")).ToHashSet();
            var claims = rendered.OfKind("StatefulSet").SelectMany(set => Items(set, "spec", "volumeClaimTemplates")).Select(claim => Text(claim, "metadata", "name"));
            volumes.UnionWith(claims);
            foreach (var container in Items(pod, "containers"))
            {
                var where = $"{owner} container {Text(container, "name")}";
                Assert.True(Text(container, "securityContext", "readOnlyRootFilesystem") == "true", where);
                Assert.True(Text(container, "securityContext", "allowPrivilegeEscalation") == "false", where);
                Assert.True(Strings(container, "securityContext", "capabilities", "drop").SequenceEqual(["ALL"]), where);
                Assert.True(Text(container, "resources", "requests", "memory") is not null, where);
                Assert.True(Text(container, "resources", "limits", "memory") is not null, where);
                var mounts = Items(container, "volumeMounts").ToList();
                Assert.All(mounts, mount => Assert.True(volumes.Contains(Text(mount, "name")), $"{where}: mount {Text(mount, "name")} has no volume"));
                var tmp = Named(mounts, "tmp");
                Assert.True(Text(tmp, "mountPath") == "/tmp", where);
                Assert.True(Node(Named(Items(pod, "volumes"), "tmp"), "emptyDir") is YamlMappingNode, where);
                Assert.True(Text(Named(mounts, "config"), "readOnly") == "true", where);
            }
        }
    }

    [Fact]
    public async Task TheDaemonsContainers_ProbeHealthAndReadinessOnTheirHttpPort()
    {
        var rendered = await Helm.TemplateAsync("replicator.replicas=2");

        var containers = rendered.PodSpecs().SelectMany(pod => Items(pod.Pod, "containers")).ToList();
        Assert.Equal(2, containers.Count);
        foreach (var container in containers)
        {
            var port = Named(Items(container, "ports"), "http");
            Assert.Equal("5000", Text(port, "containerPort"));
            Assert.Equal("/healthz", Text(container, "livenessProbe", "httpGet", "path"));
            Assert.Equal("http", Text(container, "livenessProbe", "httpGet", "port"));
            Assert.Equal("/readyz", Text(container, "readinessProbe", "httpGet", "path"));
            Assert.Equal("http", Text(container, "readinessProbe", "httpGet", "port"));
        }
    }

    [Fact]
    public async Task TheServiceMonitor_ScrapesTheGatewayAndTheReplicatorsOnce()
    {
        var rendered = await Helm.TemplateAsync("replicator.replicas=3", "serviceMonitor.enabled=true", "serviceMonitor.interval=15s");

        var monitor = rendered.Single("ServiceMonitor", Name);
        var endpoint = Items(monitor, "spec", "endpoints").Single();
        Assert.Equal("http", Text(endpoint, "port"));
        Assert.Equal("/metrics", Text(endpoint, "path"));
        Assert.Equal("15s", Text(endpoint, "interval"));
        var scraped = rendered.OfKind("Service").Where(service => Selects(Map(monitor, "spec", "selector"), Map(service, "metadata", "labels"))).Select(service => Text(service, "metadata", "name")).Order();
        Assert.Equal([Name, $"{Name}-replicator"], scraped);
        Assert.Empty((await Helm.TemplateAsync("serviceMonitor.enabled=false")).OfKind("ServiceMonitor"));
    }

    [Theory]
    [InlineData("mode=jobs", "mode: \"jobs\" is not one of daemon, job, cronjob")]
    [InlineData("mode=job;job.shards=0", "job.shards: 0 must be at least 1")]
    [InlineData("mode=job;job.shards=4;job.parallelism=5", "job.parallelism: 5 must be between 1 and job.shards (4)")]
    [InlineData("mode=job;job.records.type=hostPath", "job.records.type: \"hostPath\" is not one of emptyDir, ephemeral, persistentVolumeClaim")]
    [InlineData("mode=cronjob;cronjob.schedule=", "cronjob.schedule: is required for mode cronjob")]
    [InlineData("mode=job;job.shards=16;job.rerunShards={16}", "job.rerunShards: 16 is not a shard of job.shards (16): shards are 0 to 15")]
    [InlineData("mode=cronjob;job.rerunShards={1}", "job.rerunShards: is for mode job")]
    [InlineData("mode=daemon;replicator.replicas=0", "replicator.replicas: 0 must be at least 1")]
    public async Task AValueThatCannotWork_FailsTheRender_Saying(string values, string message)
    {
        var sets = values.Split(';');

        var template = await Helm.RunAsync(["template", Helm.Release, Helm.Chart, .. Helm.Sets(sets)]);
        var lint = await Helm.RunAsync(["lint", Helm.Chart, .. Helm.Sets(sets)]);

        Assert.NotEqual(0, template.ExitCode);
        Assert.Contains(message, template.Errors, StringComparison.Ordinal);
        // helm lint renders in its lint mode, where a template's fail is reported as [INFO], not as a failure.
        Assert.Contains(message, lint.Output + lint.Errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mode=daemon")]
    [InlineData("mode=job")]
    [InlineData("mode=cronjob")]
    public async Task TheRenderedConfigMap_IsAConfigurationSyncgatewayAccepts(string mode)
    {
        var rendered = await Helm.TemplateAsync(mode);
        var folder = Directory.CreateTempSubdirectory("syncgateway-rendered-").FullName;
        try
        {
            var file = Path.Combine(folder, "syncgateway.yaml");
            var text = Text(rendered.Single("ConfigMap", Name), "data", "syncgateway.yaml")!;
            await File.WriteAllTextAsync(file, text);
            var environment = new Dictionary<string, string> { ["HARBOR_PASSWORD"] = "h", ["ACR_PASSWORD"] = "a", ["WEBHOOK_SECRET"] = "w" };

            var configuration = ConfigurationLoader.Load(new ConfigurationSources { ConfigFile = file }, environment.GetValueOrDefault);

            Assert.NotEmpty(configuration.Rules);
            if (mode == "mode=daemon")
            {
                Assert.Contains("{shard}", configuration.Gateway!.Replicator, StringComparison.Ordinal);
            }

            Assert.Equal(mode == "mode=daemon" ? "/var/lib/syncgateway/syncgateway.db" : "/records/syncgateway.db", configuration.Replicator.Records);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static YamlMappingNode SyncPod(RenderedChart rendered) => Map(rendered.Single("Job", $"{Name}-sync"), "spec", "template", "spec");

    private static YamlMappingNode RenderedConfig(RenderedChart rendered)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(Text(rendered.Single("ConfigMap", Name), "data", "syncgateway.yaml")!));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static string? ValueAfter(IReadOnlyList<string> args, string flag)
    {
        var at = args.ToList().IndexOf(flag);
        return at >= 0 && at + 1 < args.Count ? args[at + 1] : null;
    }

    private static string Yaml(YamlNode node)
    {
        var writer = new StringWriter();
        new YamlStream(new YamlDocument(node)).Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    /// <summary>Whether a label selector (matchLabels and In expressions) selects these labels.</summary>
    private static bool Selects(YamlMappingNode selector, YamlMappingNode labels)
    {
        string? Label(string key) => Text(labels, key);
        var matchLabels = Node(selector, "matchLabels") is YamlMappingNode map
            ? map.Children.All(pair => Label(((YamlScalarNode)pair.Key).Value!) == ((YamlScalarNode)pair.Value).Value)
            : true;
        var expressions = Items(selector, "matchExpressions").All(expression =>
            Text(expression, "operator") == "In" && Strings(expression, "values").Contains(Label(Text(expression, "key")!)));
        return matchLabels && expressions;
    }
}
