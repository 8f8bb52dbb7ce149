using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Configuration;

namespace SyncGateway.Replicator.Planning;

/// <summary>
/// Which shard owns each source repository under one configuration: the shard its name hashes to
/// (<see cref="Shard.OwnerOf(string, int)"/>), except that the sources of rules that name one
/// destination repository are kept together, under the smallest of their names. The planner keeps
/// the first rule's copy of a destination that two rules name; keeping those rules in one shard
/// means that choice is still made in one process, so no image is copied by two shards. Every
/// process given the same configuration (the sync pods, the replicator replicas, the gateway that
/// routes pushes to them) computes the same owners.
/// </summary>
/// <remarks>
/// Only the explicit rules are grouped, since they are known without asking any registry;
/// repositories that pattern rules discover are owned by their own name (two repositories of one
/// pattern that land on one destination are never copied there at all).
/// </remarks>
public sealed class ShardMap
{
    private readonly Dictionary<string, string> _groups = new(StringComparer.Ordinal);

    public ShardMap(SyncConfiguration configuration)
    {
        var parent = new Dictionary<string, string>(StringComparer.Ordinal);
        var firstSource = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rule in configuration.Rules)
        {
            var source = Shard.NameOf(rule.Source.Registry, rule.Source.Repository);
            parent.TryAdd(source, source);
            foreach (var destination in rule.Destinations)
            {
                var target = Shard.NameOf(destination.Repository.Registry, destination.Repository.Repository);
                if (!firstSource.TryAdd(target, source))
                {
                    Union(parent, source, firstSource[target]);
                }
            }
        }

        foreach (var name in parent.Keys)
        {
            var root = Find(parent, name);
            if (root != name)
            {
                _groups[name] = root;
            }
        }
    }

    /// <summary>The shard, out of <paramref name="count"/>, that copies what comes from <paramref name="source"/>'s repository.</summary>
    public int OwnerOf(ImageReference source, int count)
    {
        var name = Shard.NameOf(source.Registry, source.Repository);
        return Shard.OwnerOf(_groups.GetValueOrDefault(name, name), count);
    }

    public bool Owns(Shard shard, ImageReference source) => shard.IsWhole || OwnerOf(source, shard.Count) == shard.Index;

    private static string Find(Dictionary<string, string> parent, string name)
    {
        while (parent[name] != name)
        {
            name = parent[name] = parent[parent[name]];
        }

        return name;
    }

    // The smaller name becomes the root, so a group is named the same whatever order the rules come in.
    private static void Union(Dictionary<string, string> parent, string a, string b)
    {
        var (rootA, rootB) = (Find(parent, a), Find(parent, b));
        if (rootA != rootB)
        {
            var (low, high) = string.CompareOrdinal(rootA, rootB) < 0 ? (rootA, rootB) : (rootB, rootA);
            parent[high] = low;
        }
    }
}
