using Microsoft.Extensions.Time.Testing;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Records;

namespace SyncGateway.Replicator.Tests.Records;

public sealed class RecordStoreTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("syncgateway-records-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static Digest D(char c) => Digest.Parse("sha256:" + new string(c, 64));

    [Fact]
    public async Task Blobs_AreFoundInThePreferredRepositoryFirst_ThenTheNewest_AndForgotten()
    {
        using var store = RecordStore.Open(Path.Combine(_folder, "r.db"), _time);
        await store.RecordBlobAsync("reg", "a", D('1'), 10, default);
        _time.Advance(TimeSpan.FromMinutes(1));
        await store.RecordBlobAsync("reg", "b", D('1'), 10, default);
        await store.RecordBlobAsync("other", "c", D('1'), 10, default);

        Assert.Equal("b", await store.FindBlobRepositoryAsync("reg", D('1'), "z", default));
        Assert.Equal("a", await store.FindBlobRepositoryAsync("reg", D('1'), "a", default));
        Assert.Null(await store.FindBlobRepositoryAsync("reg", D('2'), "a", default));

        await store.ForgetBlobAsync("reg", "b", D('1'), default);
        Assert.Equal("a", await store.FindBlobRepositoryAsync("reg", D('1'), "z", default));
    }

    [Fact]
    public async Task Records_SurviveReopening_InWalMode()
    {
        var path = Path.Combine(_folder, "r.db");
        var destination = ImageReference.Parse("reg.example.com/ns/app:1");
        using (var store = RecordStore.Open(path, _time))
        {
            await store.RecordTagAsync(destination, D('2'), ImageReference.Parse("src.example.com/ns/app:1"), default);
            await store.RecordFailureAsync("src.example.com/ns/x:1", "reg.example.com/ns/x:1", "404 MANIFEST_UNKNOWN", default);
        }

        using var reopened = RecordStore.Open(path, _time);

        Assert.Equal(D('2'), await reopened.FindTagAsync(destination, default));
        var failure = Assert.Single(await reopened.RecentFailuresAsync(10, default));
        Assert.Equal("404 MANIFEST_UNKNOWN", failure.Reason);
        Assert.Equal(_time.GetUtcNow(), failure.FailedAt);
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var mode = connection.CreateCommand();
        mode.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", mode.ExecuteScalar() as string);
    }
}
