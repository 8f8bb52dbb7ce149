using System.Globalization;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Replicator.Records;

/// <summary>
/// The SQLite records (WAL): which blobs each destination repository holds, which tags were
/// replicated at which digest, failures with their reasons, and the durable queue
/// (<see cref="Queue"/>). The blob records are a cache the registries can contradict: callers
/// check before trusting them and correct them when wrong. Any thread may call.
/// </summary>
public sealed class RecordStore : IDisposable
{
    private readonly RecordsDatabase _database;

    private RecordStore(RecordsDatabase database)
    {
        _database = database;
        Queue = new QueueRecords(database);
    }

    /// <summary>The durable work queue's rows.</summary>
    public QueueRecords Queue { get; }

    /// <summary>Opens (creating if needed) the records file and brings its schema up to date.</summary>
    public static RecordStore Open(string path, TimeProvider time) => new(RecordsDatabase.Open(path, time));

    public Task RecordBlobAsync(string registry, string repository, Digest digest, long size, CancellationToken cancellationToken) =>
        _database.ExecuteAsync(
            """
            INSERT INTO blobs (registry, repository, digest, size, seen_at) VALUES ($registry, $repository, $digest, $size, $at)
            ON CONFLICT (registry, repository, digest) DO UPDATE SET seen_at = excluded.seen_at
            """,
            cancellationToken,
            ("$registry", registry), ("$repository", repository), ("$digest", digest.ToString()), ("$size", size), ("$at", _database.Now()));

    /// <summary>Forgets that a repository holds a blob: the registry said otherwise.</summary>
    public Task ForgetBlobAsync(string registry, string repository, Digest digest, CancellationToken cancellationToken) =>
        _database.ExecuteAsync(
            "DELETE FROM blobs WHERE registry = $registry AND repository = $repository AND digest = $digest",
            cancellationToken,
            ("$registry", registry), ("$repository", repository), ("$digest", digest.ToString()));

    /// <summary>
    /// The repository of a registry best placed to give a blob: <paramref name="preferred"/> when the
    /// records know it there, else the one that saw it last; null when no repository is known.
    /// </summary>
    public async Task<string?> FindBlobRepositoryAsync(string registry, Digest digest, string preferred, CancellationToken cancellationToken)
    {
        // Two look-ups that each use an index (the primary key, then digest and time), instead of
        // one that sorts every blob of the registry: a 10,000-image run stays linear.
        var there = await _database.QueryAsync(
            "SELECT 1 FROM blobs WHERE registry = $registry AND repository = $preferred AND digest = $digest",
            reader => reader.GetInt64(0),
            cancellationToken,
            ("$registry", registry), ("$digest", digest.ToString()), ("$preferred", preferred)).ConfigureAwait(false);
        if (there.Count > 0)
        {
            return preferred;
        }

        var found = await _database.QueryAsync(
            "SELECT repository FROM blobs WHERE registry = $registry AND digest = $digest ORDER BY seen_at DESC LIMIT 1",
            reader => reader.GetString(0),
            cancellationToken,
            ("$registry", registry), ("$digest", digest.ToString())).ConfigureAwait(false);
        return found.Count > 0 ? found[0] : null;
    }

    public Task RecordTagAsync(ImageReference destination, Digest digest, ImageReference source, CancellationToken cancellationToken) =>
        _database.ExecuteAsync(
            """
            INSERT INTO tags (registry, repository, tag, digest, source, replicated_at) VALUES ($registry, $repository, $tag, $digest, $source, $at)
            ON CONFLICT (registry, repository, tag) DO UPDATE SET digest = excluded.digest, source = excluded.source, replicated_at = excluded.replicated_at
            """,
            cancellationToken,
            ("$registry", destination.Registry), ("$repository", destination.Repository), ("$tag", destination.Reference),
            ("$digest", digest.ToString()), ("$source", source.ToString()), ("$at", _database.Now()));

    public async Task<Digest?> FindTagAsync(ImageReference destination, CancellationToken cancellationToken)
    {
        var found = await _database.QueryAsync(
            "SELECT digest FROM tags WHERE registry = $registry AND repository = $repository AND tag = $tag",
            reader => reader.GetString(0),
            cancellationToken,
            ("$registry", destination.Registry), ("$repository", destination.Repository), ("$tag", destination.Reference)).ConfigureAwait(false);
        return found.Count > 0 && Digest.TryParse(found[0], out var digest) ? digest : null;
    }

    public Task RecordFailureAsync(string source, string destination, string reason, CancellationToken cancellationToken) =>
        _database.ExecuteAsync(
            "INSERT INTO failures (source, destination, reason, failed_at) VALUES ($source, $destination, $reason, $at)",
            cancellationToken,
            ("$source", source), ("$destination", destination), ("$reason", reason), ("$at", _database.Now()));

    public Task<IReadOnlyList<FailureRecord>> RecentFailuresAsync(int limit, CancellationToken cancellationToken) =>
        _database.QueryAsync(
            "SELECT source, destination, reason, failed_at FROM failures ORDER BY id DESC LIMIT $limit",
            reader => new FailureRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture)),
            cancellationToken,
            ("$limit", limit));

    public void Dispose() => _database.Dispose();
}
