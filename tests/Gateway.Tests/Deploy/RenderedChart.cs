using YamlDotNet.RepresentationModel;

namespace SyncGateway.Gateway.Tests.Deploy;

/// <summary>The Kubernetes objects one <c>helm template</c> rendered, parsed as YAML, found by kind and name.</summary>
internal sealed class RenderedChart(IReadOnlyList<YamlMappingNode> objects)
{
    /// <summary>Every object, in the order Helm printed them.</summary>
    public IReadOnlyList<YamlMappingNode> Objects { get; } = objects;

    /// <summary>Parses Helm's output: YAML documents separated by <c>---</c>, empty ones left out.</summary>
    /// <param name="output">What <c>helm template</c> printed.</param>
    public static RenderedChart Parse(string output)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(output));
        return new RenderedChart([.. stream.Documents.Select(document => document.RootNode).OfType<YamlMappingNode>()]);
    }

    /// <summary>The objects of one kind.</summary>
    /// <param name="kind">A Kubernetes kind, e.g. <c>Job</c>.</param>
    public IReadOnlyList<YamlMappingNode> OfKind(string kind) => [.. Objects.Where(item => Text(item, "kind") == kind)];

    /// <summary>The one object of this kind and name, or a failure that lists what was rendered.</summary>
    /// <param name="kind">A Kubernetes kind.</param>
    /// <param name="name">Its <c>metadata.name</c>.</param>
    public YamlMappingNode Single(string kind, string name)
    {
        var found = Objects.Where(item => Text(item, "kind") == kind && Text(item, "metadata", "name") == name).ToList();
        return found.Count == 1
            ? found[0]
            : throw new InvalidOperationException($"{found.Count} {kind} named {name}; rendered: {string.Join(", ", Objects.Select(item => $"{Text(item, "kind")}/{Text(item, "metadata", "name")}"))}");
    }

    /// <summary>Every pod template rendered (Deployment, StatefulSet, Job, CronJob), with the name of its owner.</summary>
    public IEnumerable<(string Owner, YamlMappingNode Pod)> PodSpecs()
    {
        foreach (var item in Objects)
        {
            var owner = $"{Text(item, "kind")}/{Text(item, "metadata", "name")}";
            var pod = Text(item, "kind") switch
            {
                "Deployment" or "StatefulSet" or "Job" => Node(item, "spec", "template", "spec"),
                "CronJob" => Node(item, "spec", "jobTemplate", "spec", "template", "spec"),
                _ => null,
            };
            if (pod is YamlMappingNode spec)
            {
                yield return (owner, spec);
            }
        }
    }

    /// <summary>The node at this path of mapping keys, or null where a key is missing.</summary>
    /// <param name="node">Where to start.</param>
    /// <param name="path">Mapping keys, outermost first.</param>
    public static YamlNode? Node(YamlNode node, params string[] path)
    {
        YamlNode? current = node;
        foreach (var key in path)
        {
            current = current is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;
        }

        return current;
    }

    /// <summary>The scalar at this path, or null.</summary>
    /// <param name="node">Where to start.</param>
    /// <param name="path">Mapping keys, outermost first.</param>
    public static string? Text(YamlNode node, params string[] path) => (Node(node, path) as YamlScalarNode)?.Value;

    /// <summary>The mapping at this path, or a failure that names the path.</summary>
    /// <param name="node">Where to start.</param>
    /// <param name="path">Mapping keys, outermost first.</param>
    public static YamlMappingNode Map(YamlNode node, params string[] path) =>
        Node(node, path) as YamlMappingNode ?? throw new InvalidOperationException($"no mapping at {string.Join('.', path)}");

    /// <summary>The items of the sequence at this path (none where it is missing).</summary>
    /// <param name="node">Where to start.</param>
    /// <param name="path">Mapping keys, outermost first.</param>
    public static IReadOnlyList<YamlNode> Items(YamlNode node, params string[] path) =>
        Node(node, path) is YamlSequenceNode sequence ? [.. sequence.Children] : [];

    /// <summary>The scalars of the sequence at this path.</summary>
    /// <param name="node">Where to start.</param>
    /// <param name="path">Mapping keys, outermost first.</param>
    public static IReadOnlyList<string> Strings(YamlNode node, params string[] path) =>
        [.. Items(node, path).OfType<YamlScalarNode>().Select(scalar => scalar.Value ?? string.Empty)];

    /// <summary>The item of a sequence of mappings whose <c>name</c> is this.</summary>
    /// <param name="items">A sequence such as containers, env or volumes.</param>
    /// <param name="name">The <c>name</c> to find.</param>
    public static YamlMappingNode Named(IEnumerable<YamlNode> items, string name) =>
        items.OfType<YamlMappingNode>().SingleOrDefault(item => Text(item, "name") == name)
        ?? throw new InvalidOperationException($"no item named {name}");
}
