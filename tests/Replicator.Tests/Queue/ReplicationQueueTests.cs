using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Queue;
using SyncGateway.Replicator.Records;
using SyncGateway.Replicator.Tasks;

namespace SyncGateway.Replicator.Tests.Queue;

public sealed class ReplicationQueueTests : IDisposable
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(5);
    private readonly string _folder = Directory.CreateTempSubdirectory("syncgateway-queue-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly RecordStore _records;
    private readonly ReplicationQueue _queue;

    public ReplicationQueueTests()
    {
        _records = RecordStore.Open(Path.Combine(_folder, "q.db"), _time);
        _queue = new ReplicationQueue(_records, _time);
    }

    public void Dispose()
    {
        _records.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private static SyncTask Task(string tag) =>
        new("rules[0]", ImageReference.Parse($"src.example.com/lib/app:{tag}"), ImageReference.Parse($"dst.example.com/m/app:{tag}"));

    [Fact]
    public async Task AnEventForAnEntryBeingCopied_MakesItRunAgain_InsteadOfBeingLostWhenTheCopyEnds()
    {
        Assert.Equal(1, await _queue.EnqueueAsync([Task("race")], "webhook", default));
        var first = await _queue.TakeAsync(Idle, default);

        // The tag moves while the first copy runs: the event counts, it is not collapsed away.
        Assert.Equal(1, await _queue.EnqueueAsync([Task("race")], "webhook", default));
        Assert.False(await _queue.CompleteAsync(first, default));

        var second = await _queue.TakeAsync(Idle, default);
        Assert.Equal(first.Work.Id, second.Work.Id);
        Assert.Equal(first.Work.Generation + 1, second.Work.Generation);
        Assert.True(await _queue.CompleteAsync(second, default));
        Assert.Equal(0, await _queue.DepthAsync(default));
    }

    [Fact]
    public async Task AnEventForAnEntryThatIsWaiting_CollapsesIntoIt()
    {
        Assert.Equal(2, await _queue.EnqueueAsync([Task("1"), Task("2")], "push", default));

        Assert.Equal(0, await _queue.EnqueueAsync([Task("1")], "webhook", default));
        Assert.Equal(2, await _queue.DepthAsync(default));
    }

    [Fact]
    public async Task AnEntryIsNeverTakenTwiceAtOnce_AndEachSlotGetsTheNextOne()
    {
        await _queue.EnqueueAsync([Task("1"), Task("2")], "push", default);

        var one = await _queue.TakeAsync(Idle, default);
        var two = await _queue.TakeAsync(Idle, default);
        var third = _queue.TakeAsync(Idle, default);

        Assert.NotEqual(one.Work.Id, two.Work.Id);
        Assert.Equal(2, _queue.Running);
        await System.Threading.Tasks.Task.Delay(50);
        Assert.False(third.IsCompleted, "nothing else is due");

        // A newer event for a running entry wakes the waiting slot once the copy ends.
        await _queue.EnqueueAsync([one.Task], "webhook", default);
        Assert.False(third.IsCompleted, "the entry is still being copied");
        Assert.False(await _queue.CompleteAsync(one, default));
        var again = await third.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(one.Work.Id, again.Work.Id);
    }

    [Fact]
    public async Task FailedWork_BacksOffFiveThenTenSeconds_OnTheClock()
    {
        await _queue.EnqueueAsync([Task("1")], "push", default);
        var taken = await _queue.TakeAsync(Idle, default);
        await _queue.PostponeAsync(taken, "503 UNAVAILABLE", default);

        Assert.Empty(await _records.Queue.DueAsync(10, default));
        _time.Advance(TimeSpan.FromSeconds(5));
        var retried = await _queue.TakeAsync(Idle, default);
        Assert.Equal(1, retried.Work.Attempts);
        Assert.Equal("503 UNAVAILABLE", retried.Work.LastError);

        await _queue.PostponeAsync(retried, "503 UNAVAILABLE", default);
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.Empty(await _records.Queue.DueAsync(10, default));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Single(await _records.Queue.DueAsync(10, default));
    }

    [Fact]
    public async Task AnEventWhileAFailingCopyRuns_MakesItDueAtOnce()
    {
        await _queue.EnqueueAsync([Task("1")], "push", default);
        var taken = await _queue.TakeAsync(Idle, default);
        await _queue.EnqueueAsync([Task("1")], "webhook", default);

        await _queue.PostponeAsync(taken, "reset", default);

        Assert.Single(await _records.Queue.DueAsync(10, default));
    }

    [Fact]
    public async Task TheDepthObserver_HearsEveryChange()
    {
        var seen = new List<int>();
        _queue.DepthChanged += seen.Add;

        await _queue.EnqueueAsync([Task("1"), Task("2")], "push", default);
        var taken = await _queue.TakeAsync(Idle, default);
        await _queue.CompleteAsync(taken, default);

        Assert.Equal([2, 1], seen);
    }

    [Fact]
    public async Task AQueueOfSchemaOne_IsUpgraded_AndItsEntriesKept()
    {
        var path = Path.Combine(_folder, "old.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);
                CREATE TABLE queue (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, rule TEXT NOT NULL, source TEXT NOT NULL, destination TEXT NOT NULL,
                    cause TEXT NOT NULL, enqueued_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at TEXT NOT NULL, last_error TEXT, UNIQUE (source, destination));
                INSERT INTO queue (rule, source, destination, cause, enqueued_at, next_attempt_at)
                    VALUES ('r', 'src.example.com/lib/app:1', 'dst.example.com/m/app:1', 'push', '2026-01-01T00:00:00.0000000+00:00', '2026-01-01T00:00:00.0000000+00:00');
                """;
            command.ExecuteNonQuery();
        }

        using var upgraded = RecordStore.Open(path, _time);

        var due = Assert.Single(await upgraded.Queue.DueAsync(10, default));
        Assert.Equal(1, due.Generation);
        Assert.Equal("src.example.com/lib/app:1", due.Source);
    }
}
