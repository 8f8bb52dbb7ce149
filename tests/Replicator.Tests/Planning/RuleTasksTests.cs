using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Planning;

namespace SyncGateway.Replicator.Tests.Planning;

public sealed class RuleTasksTests
{
    private static readonly string Hex = new('a', 64);

    private static SyncConfiguration Configuration(bool referrers) => new()
    {
        Registries = [],
        Rules =
        [
            new SyncRule
            {
                Key = "rules[0]",
                Source = ImageReference.ParseRepository("h.example.com/lib/app"),
                Destinations = [new RuleDestination(ImageReference.ParseRepository("d.example.com/ns/app"), [])],
                Tags = new TagSelector([Exact("1.0")], []),
                Referrers = referrers,
            },
        ],
    };

    private static TagPattern Exact(string tag) => TagPattern.TryParse(tag, wholeTag: true, out var pattern, out _) ? pattern! : throw new ArgumentException(tag);

    [Theory]
    [InlineData("sha256-{0}")]
    [InlineData("sha256-{0}.sig")]
    [InlineData("sha256-{0}.att")]
    public void AReferrerTagEvent_CopiesItsSubjectByDigest_WhateverTheTagSelection(string tagFormat)
    {
        var tag = string.Format(System.Globalization.CultureInfo.InvariantCulture, tagFormat, Hex);

        var task = Assert.Single(RuleTasks.TasksForImage(Configuration(referrers: true), ImageReference.Parse($"h.example.com/lib/app:{tag}")));

        Assert.Equal($"h.example.com/lib/app@sha256:{Hex}", task.Source.ToString());
        Assert.Equal($"d.example.com/ns/app@sha256:{Hex}", task.Destination.ToString());
        Assert.True(task.Referrers);
        Assert.Equal(task.Destination, RuleTasks.Current(Configuration(referrers: true), task)?.Destination);
    }

    [Fact]
    public void AReferrerTagEvent_WithReferrersOff_CopiesNothing()
    {
        Assert.Empty(RuleTasks.TasksForImage(Configuration(referrers: false), ImageReference.Parse($"h.example.com/lib/app:sha256-{Hex}.sig")));
    }
}
