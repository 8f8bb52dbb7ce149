using System.Globalization;
using Microsoft.Data.Sqlite;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Replicator.Records;

/// <summary>
/// The SQLite records (WAL): which blobs each destination repository holds, which tags were
/// replicated at which digest, and failures with their reasons. The records are a cache the
/// registries can contradict: callers check before trusting them and correct them when wrong.
/// One connection per operation (pooled), so any thread may call.
/// </summary>
public sealed class RecordStore
{
    private const int SchemaVersion = 1;
    private readonly string _connectionString;
    private readonly TimeProvider _time;

    private RecordStore(string path, TimeProvider time)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _time = time;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Opens (creating if needed) the records file and brings its schema up to date.</summary>
    public static RecordStore Open(string path, TimeProvider time)
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        var store = new RecordStore(path, time);
        using var connection = store.Connect();
        Execute(connection, "PRAGMA journal_mode=WAL;");
        Execute(connection, """
            CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS blobs (
                registry TEXT NOT NULL, repository TEXT NOT NULL, digest TEXT NOT NULL,
                size INTEGER NOT NULL, seen_at TEXT NOT NULL,
                PRIMARY KEY (registry, repository, digest)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS blobs_by_digest ON blobs (registry, digest);
            CREATE TABLE IF NOT EXISTS tags (
                registry TEXT NOT NULL, repository TEXT NOT NULL, tag TEXT NOT NULL,
                digest TEXT NOT NULL, source TEXT NOT NULL, replicated_at TEXT NOT NULL,
                PRIMARY KEY (registry, repository, tag)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS failures (
                id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, destination TEXT NOT NULL,
                reason TEXT NOT NULL, failed_at TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS failures_by_time ON failures (failed_at);
            """);
        using (var check = connection.CreateCommand())
        {
            check.CommandText = "SELECT max(version) FROM schema_version";
            var version = check.ExecuteScalar() is long v ? (int)v : 0;
            if (version > SchemaVersion)
            {
                throw new InvalidOperationException($"{path} was written by a newer SyncGateway (schema {version}, this one knows {SchemaVersion})");
            }

            if (version < SchemaVersion)
            {
                Execute(connection, $"INSERT INTO schema_version (version) VALUES ({SchemaVersion})");
            }
        }

        return store;
    }

    public async Task RecordBlobAsync(string registry, string repository, Digest digest, long size, CancellationToken cancellationToken)
    {
        await using var connection = Connect();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO blobs (registry, repository, digest, size, seen_at) VALUES ($registry, $repository, $digest, $size, $at)
            ON CONFLICT (registry, repository, digest) DO UPDATE SET seen_at = excluded.seen_at
            """;
        command.Parameters.AddWithValue("$registry", registry);
        command.Parameters.AddWithValue("$repository", repository);
        command.Parameters.AddWithValue("$digest", digest.ToString());
        command.Parameters.AddWithValue("$size", size);
        command.Parameters.AddWithValue("$at", Now());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Forgets that a repository holds a blob: the registry said otherwise.</summary>
    public async Task ForgetBlobAsync(string registry, string repository, Digest digest, CancellationToken cancellationToken)
    {
        await using var connection = Connect();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM blobs WHERE registry = $registry AND repository = $repository AND digest = $digest";
        command.Parameters.AddWithValue("$registry", registry);
        command.Parameters.AddWithValue("$repository", repository);
        command.Parameters.AddWithValue("$digest", digest.ToString());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Other repositories of a registry known to hold a blob, newest first: candidates for a mount.</summary>
    public async Task<IReadOnlyList<string>> FindBlobRepositoriesAsync(string registry, Digest digest, string except, CancellationToken cancellationToken)
    {
        await using var connection = Connect();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT repository FROM blobs WHERE registry = $registry AND digest = $digest AND repository <> $except
            ORDER BY seen_at DESC LIMIT 3
            """;
        command.Parameters.AddWithValue("$registry", registry);
        command.Parameters.AddWithValue("$digest", digest.ToString());
        command.Parameters.AddWithValue("$except", except);
        var result = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(reader.GetString(0));
        }

        return result;
    }

    public async Task RecordTagAsync(ImageReference destination, Digest digest, ImageReference source, CancellationToken cancellationToken)
    {
        await using var connection = Connect();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO tags (registry, repository, tag, digest, source, replicated_at) VALUES ($registry, $repository, $tag, $digest, $source, $at)
            ON CONFLICT (registry, repository, tag) DO UPDATE SET digest = excluded.digest, source = excluded.source, replicated_at = excluded.replicated_at
            """;
        command.Parameters.AddWithValue("$registry", destination.Registry);
        command.Parameters.AddWithValue("$repository", destination.Repository);
        command.Parameters.AddWithValue("$tag", destination.Reference);
        command.Parameters.AddWithValue("$digest", digest.ToString());
        command.Parameters.AddWithValue("$source", source.ToString());
        command.Parameters.AddWithValue("$at", Now());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<Digest?> FindTagAsync(ImageReference destination, CancellationToken cancellationToken)
    {
        await using var connection = Connect();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT digest FROM tags WHERE registry = $registry AND repository = $repository AND tag = $tag";
        command.Parameters.AddWithValue("$registry", destination.Registry);
        command.Parameters.AddWithValue("$repository", destination.Repository);
        command.Parameters.AddWithValue("$tag", destination.Reference);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        return Digest.TryParse(value, out var digest) ? digest : null;
    }

    public async Task RecordFailureAsync(string source, string destination, string reason, CancellationToken cancellationToken)
    {
        await using var connection = Connect();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO failures (source, destination, reason, failed_at) VALUES ($source, $destination, $reason, $at)";
        command.Parameters.AddWithValue("$source", source);
        command.Parameters.AddWithValue("$destination", destination);
        command.Parameters.AddWithValue("$reason", reason);
        command.Parameters.AddWithValue("$at", Now());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<FailureRecord>> RecentFailuresAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = Connect();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT source, destination, reason, failed_at FROM failures ORDER BY id DESC LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        var result = new List<FailureRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(new FailureRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture)));
        }

        return result;
    }

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    private string Now() => _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
