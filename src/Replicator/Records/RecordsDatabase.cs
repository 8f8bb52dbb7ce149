using System.Globalization;
using Microsoft.Data.Sqlite;

namespace SyncGateway.Replicator.Records;

/// <summary>
/// The SQLite file under the records (WAL): its schema, kept up to date, and the one connection
/// every statement goes through, used by one caller at a time. Each statement takes
/// microseconds, and a single writer never waits on SQLite's file locks. Each statement is
/// compiled once and kept (a 10,000-image run runs a handful of them 70,000 times). Any thread may call.
/// </summary>
internal sealed class RecordsDatabase : IDisposable
{
    private const int SchemaVersion = 2;
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    // The statements run outside a transaction, prepared once each; used only under the gate.
    private readonly Dictionary<string, SqliteCommand> _prepared = new(StringComparer.Ordinal);

    private RecordsDatabase(SqliteConnection connection, TimeProvider time)
    {
        _connection = connection;
        Time = time;
    }

    public TimeProvider Time { get; }

    /// <summary>Opens (creating if needed) the records file and brings its schema up to date.</summary>
    public static RecordsDatabase Open(string path, TimeProvider time)
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
            DROP INDEX IF EXISTS blobs_by_digest;
            CREATE INDEX IF NOT EXISTS blobs_by_digest_seen ON blobs (registry, digest, seen_at);
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

        return new RecordsDatabase(connection, time);
    }

    /// <summary>Runs <paramref name="work"/> in one transaction, alone on the connection.</summary>
    public async Task<T> InTransactionAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var transaction = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var result = await work(_connection, transaction).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        foreach (var command in _prepared.Values)
        {
            command.Dispose();
        }

        _connection.Dispose();
        _gate.Dispose();
    }

    public async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Prepared(sql, parameters).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> read, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var reader = await Prepared(sql, parameters).ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
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

    /// <summary>The kept statement for <paramref name="sql"/>, given these values (the caller holds the gate).</summary>
    private SqliteCommand Prepared(string sql, (string Name, object Value)[] parameters)
    {
        if (!_prepared.TryGetValue(sql, out var command))
        {
            _prepared.Add(sql, command = Command(sql, parameters));
            return command;
        }

        foreach (var (name, value) in parameters)
        {
            command.Parameters[name].Value = value;
        }

        return command;
    }

    public SqliteCommand Command(string sql, (string Name, object Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    public string Now() => Time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
