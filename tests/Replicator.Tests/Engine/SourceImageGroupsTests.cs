using System.Threading.Channels;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Engine;
using SyncGateway.Replicator.Tasks;

namespace SyncGateway.Replicator.Tests.Engine;

/// <summary>
/// How planned images become copies: an image's destinations, handed on together, reach a free
/// copier as one group however soon it asks (so the image is read once for all of them), and another
/// rule's tasks of an image still waiting for a copier join it.
/// </summary>
public sealed class SourceImageGroupsTests
{
    [Fact]
    public async Task AnImageWithThreeDestinations_ReachesAFreeCopierAsOneGroup()
    {
        var images = Channel.CreateUnbounded<IReadOnlyList<SyncTask>>();
        var groups = Channel.CreateBounded<List<SyncTask>>(1);
        var gathering = SourceImageGroups.GatherAsync(images.Reader, groups.Writer, window: 4, CancellationToken.None);

        // The copier is free before anything is planned: the first image goes out as soon as it comes.
        images.Writer.TryWrite(Tasks("rule", "src.test/lib/app:1", "dst.test/m/app:1", "dst.test/n/app:1", "dst.test/o/app:1"));
        var first = await groups.Reader.ReadAsync();
        images.Writer.TryWrite(Tasks("rule", "src.test/lib/app:2", "dst.test/m/app:2", "dst.test/n/app:2", "dst.test/o/app:2"));
        var second = await groups.Reader.ReadAsync();
        images.Writer.TryComplete();
        await gathering;

        Assert.Equal(["dst.test/m/app:1", "dst.test/n/app:1", "dst.test/o/app:1"], first.Select(t => t.Destination.ToString()));
        Assert.Equal(["dst.test/m/app:2", "dst.test/n/app:2", "dst.test/o/app:2"], second.Select(t => t.Destination.ToString()));
    }

    [Fact]
    public async Task AnotherRulesTasksOfAWaitingImage_JoinItsGroup()
    {
        var images = Channel.CreateUnbounded<IReadOnlyList<SyncTask>>();
        var groups = Channel.CreateBounded<List<SyncTask>>(1);
        // Every copier busy: the channel to them holds one group already.
        groups.Writer.TryWrite(Tasks("busy", "src.test/lib/other:1", "dst.test/m/other:1"));
        var gathering = SourceImageGroups.GatherAsync(images.Reader, groups.Writer, window: 4, CancellationToken.None);

        images.Writer.TryWrite(Tasks("first", "src.test/lib/app:1", "dst.test/m/app:1"));
        images.Writer.TryWrite(Tasks("second", "src.test/lib/app:1", "dst.test/n/app:1", "dst.test/o/app:1"));
        images.Writer.TryComplete();
        var busy = await groups.Reader.ReadAsync();
        var joined = await groups.Reader.ReadAsync();
        await gathering;

        Assert.Equal("src.test/lib/other:1", busy.Single().Source.ToString());
        Assert.Equal(["dst.test/m/app:1", "dst.test/n/app:1", "dst.test/o/app:1"], joined.Select(t => t.Destination.ToString()));
        Assert.False(groups.Reader.TryRead(out _));
    }

    private static List<SyncTask> Tasks(string rule, string source, params string[] destinations) =>
        destinations.Select(d => new SyncTask(rule, ImageReference.Parse(source), ImageReference.Parse(d))).ToList();
}
