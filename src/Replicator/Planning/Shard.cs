using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SyncGateway.Replicator.Planning;

/// <summary>
/// One of <see cref="Count"/> parts of the work, numbered from 0: the source repositories whose
/// stable hash falls to <see cref="Index"/>. Every process of a sharded migration (the pods of an
/// Indexed Job, the replicas of a replicator StatefulSet) computes the same owner for a name, with
/// no coordination: the first 8 bytes of the SHA-256 of <c>registry/repository</c>, modulo the count.
/// </summary>
public readonly record struct Shard
{
    public Shard(int index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        (Index, _count) = (index, count);
    }

    /// <summary>The whole plan: a process that is not sharded.</summary>
    public static Shard Whole { get; } = new(0, 1);

    /// <summary>The environment variable Kubernetes sets in every pod of an Indexed Job.</summary>
    public const string JobIndexVariable = "JOB_COMPLETION_INDEX";

    private readonly int _count;

    public int Index { get; }

    /// <summary>How many shards there are (<c>default(Shard)</c> is <see cref="Whole"/>).</summary>
    public int Count => _count == 0 ? 1 : _count;

    public bool IsWhole => Count == 1;

    /// <summary>The shard a source repository belongs to, out of <paramref name="count"/>.</summary>
    public static int OwnerOf(string registry, string repository, int count) => OwnerOf(NameOf(registry, repository), count);

    /// <summary>The shard a name (<see cref="NameOf"/>) hashes to, out of <paramref name="count"/>.</summary>
    public static int OwnerOf(string name, int count)
    {
        if (count <= 1)
        {
            return 0;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(name), hash);
        return (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % (ulong)count);
    }

    /// <summary>What is hashed: <c>registry/repository</c>, the host in lower case (hosts are case-insensitive; repositories are lower case by the spec).</summary>
    public static string NameOf(string registry, string repository) => registry.ToLowerInvariant() + "/" + repository;

    /// <summary>Reads <c>I/N</c> (<c>--shard</c>): null with <paramref name="error"/> saying what is wrong.</summary>
    public static Shard? Parse(string text, out string? error)
    {
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            error = $"'{text}' is not INDEX/COUNT (for example 0/4)";
            return null;
        }

        return Create(index, count, out error);
    }

    /// <summary>
    /// <c>--shards N</c>: the index comes from <c>JOB_COMPLETION_INDEX</c> (an Indexed Job's pod), else
    /// from the ordinal that ends the pod's name (<c>POD_NAME</c>, else <c>HOSTNAME</c>: a StatefulSet's
    /// <c>name-2</c> is shard 2).
    /// </summary>
    public static Shard? FromEnvironment(int count, Func<string, string?> environment, out string? error)
    {
        if (count < 1)
        {
            error = $"{count} is not a positive number of shards";
            return null;
        }

        if (environment(JobIndexVariable) is { Length: > 0 } jobIndex)
        {
            if (!int.TryParse(jobIndex, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                error = $"{JobIndexVariable}='{jobIndex}' is not a shard index";
                return null;
            }

            return Create(index, count, out error);
        }

        foreach (var variable in new[] { "POD_NAME", "HOSTNAME" })
        {
            if (environment(variable) is { Length: > 0 } name)
            {
                var dash = name.LastIndexOf('-');
                if (dash < 0 || !int.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var ordinal))
                {
                    error = $"{variable}='{name}' does not end in -<ordinal>, and {JobIndexVariable} is not set: give the index with --shard INDEX/{count}";
                    return null;
                }

                return Create(ordinal, count, out error);
            }
        }

        error = $"neither {JobIndexVariable} nor POD_NAME nor HOSTNAME is set: give the index with --shard INDEX/{count}";
        return null;
    }

    public override string ToString() => $"{Index}/{Count}";

    /// <summary>For file names: <c>1-of-4</c>.</summary>
    public string FileLabel => $"{Index}-of-{Count}";

    private static Shard? Create(int index, int count, out string? error)
    {
        if (count < 1 || index >= count)
        {
            error = count < 1 ? $"{count} is not a positive number of shards" : $"shard {index} does not exist out of {count} (indexes are 0 to {count - 1})";
            return null;
        }

        error = null;
        return new Shard(index, count);
    }
}
