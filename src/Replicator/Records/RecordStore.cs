using System.Globalization;
using Microsoft.Data.Sqlite;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Replicator.Records;

/// <summary>
/// The SQLite records (WAL): which blobs each destination repository holds, which tags were
/// replicated at which digest, and failures with their reasons. The records are a cache the
/// registries can contradict: callers check before trusting them and correct them when wrong.
/// One connection, used by one caller at a time: every statement takes microseconds, and a single
/// writer never waits on SQLite's file locks. Any thread may call.
/// </summary>
public sealed class RecordStore : IDisposable
{
    private const int SchemaVersion = 2;
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;

    private RecordStore(SqliteConnection connection, TimeProvider time)
    {
        _connection = connection;
        _time = time;
    }

    /// <summary>Opens (creating if needed) the records file and brings its schema up to date.</summary>
    public static RecordStore Open(string path, TimeProvider time)
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;");
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
            CREATE TABLE IF NOT EXISTS queue (
                id INTEGER PRIMARY KEY AUTOINCREMENT, rule TEXT NOT NULL, source TEXT NOT NULL, destination TEXT NOT NULL,
                cause TEXT NOT NULL, enqueued_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at TEXT NOT NULL, last_error TEXT, generation INTEGER NOT NULL DEFAULT 1,
                UNIQUE (source, destination));
            CREATE INDEX IF NOT EXISTS queue_by_due ON queue (next_attempt_at);
            """);
        using (var check = connection.CreateCommand())
        {
            check.CommandText = "SELECT max(version) FROM schema_version";
            var version = check.ExecuteScalar() is long v ? (int)v : 0;
            if (version > SchemaVersion)
            {
                connection.Dispose();
                throw new InvalidOperationException($"{path} was written by a newer SyncGateway (schema {version}, this one knows {SchemaVersion})");
            }

            if (version == 1)
            {
                // Schema 1 had no generation: each queued entry counts as its first event.
                Execute(connection, "ALTER TABLE queue ADD COLUMN generation INTEGER NOT NULL DEFAULT 1");
            }

            if (version < SchemaVersion)
            {
                Execute(connection, $"INSERT INTO schema_version (version) VALUES ({SchemaVersion})");
            }
        }

        return new RecordStore(connection, time);
    }

    public Task RecordBlobAsync(string registry, string repository, Digest digest, long size, CancellationToken cancellationToken) =>
        ExecuteAsync(
            """
            INSERT INTO blobs (registry, repository, digest, size, seen_at) VALUES ($registry, $repository, $digest, $size, $at)
            ON CONFLICT (registry, repository, digest) DO UPDATE SET seen_at = excluded.seen_at
            """,
            cancellationToken,
            ("$registry", registry), ("$repository", repository), ("$digest", digest.ToString()), ("$size", size), ("$at", Now()));

    /// <summary>Forgets that a repository holds a blob: the registry said otherwise.</summary>
    public Task ForgetBlobAsync(string registry, string repository, Digest digest, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "DELETE FROM blobs WHERE registry = $registry AND repository = $repository AND digest = $digest",
            cancellationToken,
            ("$registry", registry), ("$repository", repository), ("$digest", digest.ToString()));

    /// <summary>
    /// The repository of a registry best placed to give a blob: <paramref name="preferred"/> when the
    /// records know it there, else the one that saw it last; null when no repository is known.
    /// </summary>
    public async Task<string?> FindBlobRepositoryAsync(string registry, Digest digest, string preferred, CancellationToken cancellationToken)
    {
        var found = await QueryAsync(
            """
            SELECT repository FROM blobs WHERE registry = $registry AND digest = $digest
            ORDER BY repository = $preferred DESC, seen_at DESC LIMIT 1
            """,
            reader => reader.GetString(0),
            cancellationToken,
            ("$registry", registry), ("$digest", digest.ToString()), ("$preferred", preferred)).ConfigureAwait(false);
        return found.Count > 0 ? found[0] : null;
    }

    public Task RecordTagAsync(ImageReference destination, Digest digest, ImageReference source, CancellationToken cancellationToken) =>
        ExecuteAsync(
            """
            INSERT INTO tags (registry, repository, tag, digest, source, replicated_at) VALUES ($registry, $repository, $tag, $digest, $source, $at)
            ON CONFLICT (registry, repository, tag) DO UPDATE SET digest = excluded.digest, source = excluded.source, replicated_at = excluded.replicated_at
            """,
            cancellationToken,
            ("$registry", destination.Registry), ("$repository", destination.Repository), ("$tag", destination.Reference),
            ("$digest", digest.ToString()), ("$source", source.ToString()), ("$at", Now()));

    public async Task<Digest?> FindTagAsync(ImageReference destination, CancellationToken cancellationToken)
    {
        var found = await QueryAsync(
            "SELECT digest FROM tags WHERE registry = $registry AND repository = $repository AND tag = $tag",
            reader => reader.GetString(0),
            cancellationToken,
            ("$registry", destination.Registry), ("$repository", destination.Repository), ("$tag", destination.Reference)).ConfigureAwait(false);
        return found.Count > 0 && Digest.TryParse(found[0], out var digest) ? digest : null;
    }

    public Task RecordFailureAsync(string source, string destination, string reason, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "INSERT INTO failures (source, destination, reason, failed_at) VALUES ($source, $destination, $reason, $at)",
            cancellationToken,
            ("$source", source), ("$destination", destination), ("$reason", reason), ("$at", Now()));

    public Task<IReadOnlyList<FailureRecord>> RecentFailuresAsync(int limit, CancellationToken cancellationToken) =>
        QueryAsync(
            "SELECT source, destination, reason, failed_at FROM failures ORDER BY id DESC LIMIT $limit",
            reader => new FailureRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture)),
            cancellationToken,
            ("$limit", limit));

    /// <summary>
    /// Records events durably, one per copy. A copy already queued is not queued twice: its
    /// generation goes up and it is due at once, so a copy that is running when the event comes
    /// is done again when it ends (see <see cref="CompleteAsync"/>). Returns each entry's id and
    /// whether it was new.
    /// </summary>
    public async Task<IReadOnlyList<(long Id, bool New)>> EnqueueAsync(IEnumerable<QueuedWork> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var transaction = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var entries = new List<(long, bool)>();
            foreach (var item in work)
            {
                await using var command = Command(
                    """
                    INSERT INTO queue (rule, source, destination, cause, enqueued_at, next_attempt_at) VALUES ($rule, $source, $destination, $cause, $at, $at)
                    ON CONFLICT (source, destination) DO UPDATE SET generation = generation + 1, next_attempt_at = excluded.next_attempt_at, rule = excluded.rule
                    RETURNING id, generation
                    """,
                    [("$rule", item.Rule), ("$source", item.Source), ("$destination", item.Destination), ("$cause", item.Cause), ("$at", Now())]);
                command.Transaction = transaction;
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    entries.Add((reader.GetInt64(0), reader.GetInt64(1) == 1));
                }
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return entries;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Work whose time has come, oldest first.</summary>
    public Task<IReadOnlyList<QueuedWork>> DueAsync(int limit, CancellationToken cancellationToken) =>
        QueryAsync(
            "SELECT id, rule, source, destination, cause, enqueued_at, attempts, last_error, generation FROM queue WHERE next_attempt_at <= $now ORDER BY next_attempt_at, id LIMIT $limit",
            ReadWork,
            cancellationToken,
            ("$now", Now()), ("$limit", limit));

    /// <summary>Everything waiting, due or backing off, for the status page.</summary>
    public Task<IReadOnlyList<QueuedWork>> QueuedAsync(int limit, CancellationToken cancellationToken) =>
        QueryAsync(
            "SELECT id, rule, source, destination, cause, enqueued_at, attempts, last_error, generation FROM queue ORDER BY id LIMIT $limit",
            ReadWork,
            cancellationToken,
            ("$limit", limit));

    public async Task<int> QueueDepthAsync(CancellationToken cancellationToken) =>
        (int)(await QueryAsync("SELECT count(*) FROM queue", r => r.GetInt64(0), cancellationToken).ConfigureAwait(false))[0];

    /// <summary>
    /// Ends the work that was taken at <paramref name="generation"/>. When a newer event came in the
    /// meantime the entry stays (due at once) and this returns false: the copy that ended may have
    /// read the source before that event.
    /// </summary>
    public async Task<bool> CompleteAsync(long id, long generation, CancellationToken cancellationToken) =>
        await ExecuteAsync("DELETE FROM queue WHERE id = $id AND generation = $generation", cancellationToken, ("$id", id), ("$generation", generation)).ConfigureAwait(false) > 0;

    /// <summary>
    /// Keeps failed work, visible with its reason, and tries it again after <paramref name="delay"/>,
    /// or at once when a newer event came while it ran.
    /// </summary>
    public Task PostponeAsync(long id, long generation, string error, TimeSpan delay, CancellationToken cancellationToken) =>
        ExecuteAsync(
            """
            UPDATE queue SET attempts = attempts + 1, last_error = $error,
                next_attempt_at = CASE WHEN generation = $generation THEN $next ELSE next_attempt_at END
            WHERE id = $id
            """,
            cancellationToken,
            ("$id", id), ("$generation", generation), ("$error", error), ("$next", (_time.GetUtcNow() + delay).ToString("O", CultureInfo.InvariantCulture)));

    private static QueuedWork ReadWork(SqliteDataReader reader) => new(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4))
    {
        Id = reader.GetInt64(0),
        EnqueuedAt = DateTimeOffset.Parse(reader.GetString(5), CultureInfo.InvariantCulture),
        Attempts = reader.GetInt32(6),
        LastError = reader.IsDBNull(7) ? null : reader.GetString(7),
        Generation = reader.GetInt64(8),
    };

    public void Dispose()
    {
        _connection.Dispose();
        _gate.Dispose();
    }

    private async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = Command(sql, parameters);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> read, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = Command(sql, parameters);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var result = new List<T>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                result.Add(read(reader));
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private SqliteCommand Command(string sql, (string Name, object Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    private string Now() => _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
