using System.Globalization;
using Microsoft.Data.Sqlite;

namespace SyncGateway.Replicator.Records;

/// <summary>
/// The queue table: one row per (source, destination) copy, with a generation that counts the
/// events it collapsed, attempts, the last error and when it is due next.
/// </summary>
public sealed class QueueRecords
{
    private readonly RecordsDatabase _database;

    internal QueueRecords(RecordsDatabase database) => _database = database;

    /// <summary>
    /// Records events durably, one per copy. A copy already queued is not queued twice: its
    /// generation goes up and it is due at once, so a copy that is running when the event comes
    /// is done again when it ends (see <see cref="CompleteAsync"/>). Returns each entry's id and
    /// whether it was new.
    /// </summary>
    public async Task<IReadOnlyList<(long Id, bool New)>> EnqueueAsync(IEnumerable<QueuedWork> work, CancellationToken cancellationToken)
    {
        var now = _database.Now();
        return await _database.InTransactionAsync<IReadOnlyList<(long, bool)>>(async (_, transaction) =>
        {
            var entries = new List<(long, bool)>();
            foreach (var item in work)
            {
                await using var command = _database.Command(
                    """
                    INSERT INTO queue (rule, source, destination, cause, enqueued_at, next_attempt_at) VALUES ($rule, $source, $destination, $cause, $at, $at)
                    ON CONFLICT (source, destination) DO UPDATE SET generation = generation + 1, next_attempt_at = excluded.next_attempt_at, rule = excluded.rule
                    RETURNING id, generation
                    """,
                    [("$rule", item.Rule), ("$source", item.Source), ("$destination", item.Destination), ("$cause", item.Cause), ("$at", now)]);
                command.Transaction = transaction;
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    entries.Add((reader.GetInt64(0), reader.GetInt64(1) == 1));
                }
            }

            return entries;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Work whose time has come, oldest first.</summary>
    public Task<IReadOnlyList<QueuedWork>> DueAsync(int limit, CancellationToken cancellationToken) =>
        _database.QueryAsync(
            "SELECT id, rule, source, destination, cause, enqueued_at, attempts, last_error, generation FROM queue WHERE next_attempt_at <= $now ORDER BY next_attempt_at, id LIMIT $limit",
            ReadWork,
            cancellationToken,
            ("$now", _database.Now()), ("$limit", limit));

    /// <summary>Everything waiting, due or backing off, for the status page.</summary>
    public Task<IReadOnlyList<QueuedWork>> QueuedAsync(int limit, CancellationToken cancellationToken) =>
        _database.QueryAsync(
            "SELECT id, rule, source, destination, cause, enqueued_at, attempts, last_error, generation FROM queue ORDER BY id LIMIT $limit",
            ReadWork,
            cancellationToken,
            ("$limit", limit));

    public async Task<int> DepthAsync(CancellationToken cancellationToken) =>
        (int)(await _database.QueryAsync("SELECT count(*) FROM queue", r => r.GetInt64(0), cancellationToken).ConfigureAwait(false))[0];

    /// <summary>
    /// Ends the work that was taken at <paramref name="generation"/>. When a newer event came in the
    /// meantime the entry stays (due at once) and this returns false: the copy that ended may have
    /// read the source before that event.
    /// </summary>
    public async Task<bool> CompleteAsync(long id, long generation, CancellationToken cancellationToken) =>
        await _database.ExecuteAsync("DELETE FROM queue WHERE id = $id AND generation = $generation", cancellationToken, ("$id", id), ("$generation", generation)).ConfigureAwait(false) > 0;

    /// <summary>
    /// Keeps failed work, visible with its reason, and tries it again after <paramref name="delay"/>,
    /// or at once when a newer event came while it ran.
    /// </summary>
    public Task PostponeAsync(long id, long generation, string error, TimeSpan delay, CancellationToken cancellationToken) =>
        _database.ExecuteAsync(
            """
            UPDATE queue SET attempts = attempts + 1, last_error = $error,
                next_attempt_at = CASE WHEN generation = $generation THEN $next ELSE next_attempt_at END
            WHERE id = $id
            """,
            cancellationToken,
            ("$id", id), ("$generation", generation), ("$error", error), ("$next", (_database.Time.GetUtcNow() + delay).ToString("O", CultureInfo.InvariantCulture)));

    private static QueuedWork ReadWork(SqliteDataReader reader) => new(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4))
    {
        Id = reader.GetInt64(0),
        EnqueuedAt = DateTimeOffset.Parse(reader.GetString(5), CultureInfo.InvariantCulture),
        Attempts = reader.GetInt32(6),
        LastError = reader.IsDBNull(7) ? null : reader.GetString(7),
        Generation = reader.GetInt64(8),
    };

}
