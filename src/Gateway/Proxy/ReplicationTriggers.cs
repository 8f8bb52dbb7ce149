using Microsoft.Extensions.Logging;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Errors;
using SyncGateway.Registry.Protocol;
using SyncGateway.Gateway.Metrics;
using SyncGateway.Gateway.Replication;

namespace SyncGateway.Gateway.Proxy;

/// <summary>
/// What the gateway's traffic queues for replication: a push at once; a read the mirror could not
/// serve (fill on read), coalesced, since many clients pulling one new image say nothing new after
/// the first; a blob miss, as the image whose manifest the client read through the gateway just
/// before, else as every tag of its repository.
/// </summary>
internal sealed partial class ReplicationTriggers(IReplicationEvents events, TimeProvider time, ILogger logger)
{
    // A read that misses says nothing new about the source: many clients pulling one new image
    // queue it once. (A push does say something, and is never coalesced here.)
    private static readonly TimeSpan ReadMissMemory = TimeSpan.FromSeconds(30);
    private readonly TtlCache<string, bool> _readMisses = new(time);

    // The manifest last read through the gateway for each repository: a blob the mirror lacks
    // belongs, most likely, to the image a client is pulling right now.
    private static readonly TimeSpan PullMemory = TimeSpan.FromMinutes(10);
    private readonly TtlCache<string, string> _lastManifest = new(time);

    /// <summary>A client read this manifest (<paramref name="reference"/>: <c>:tag</c> or <c>@digest</c>) through the gateway.</summary>
    public void ManifestRead(string sourceRegistry, string repository, string reference) =>
        _lastManifest.Set($"{sourceRegistry}/{repository}", reference, PullMemory);

    /// <summary>A manifest the mirror could not serve: its image is queued (once while <see cref="ReadMissMemory"/> lasts).</summary>
    public async Task ReadMissAsync(ImageReference image)
    {
        if (_readMisses.TryAdd(image.ToString(), true, ReadMissMemory))
        {
            await QueueAsync(image, "read_miss").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A blob the mirror lacks queues the image it belongs to: the one whose manifest was read
    /// through the gateway last, else every tag of the repository (which the rules then filter).
    /// </summary>
    public async Task BlobMissAsync(string sourceRegistry, RegistryClient source, string repository)
    {
        if (_lastManifest.TryGet($"{sourceRegistry}/{repository}", out var reference))
        {
            await ReadMissAsync(ImageReference.Parse($"{sourceRegistry}/{repository}{reference}")).ConfigureAwait(false);
            return;
        }

        if (!_readMisses.TryAdd($"{sourceRegistry}/{repository}:*", true, ReadMissMemory))
        {
            return;
        }

        IReadOnlyList<string> tags;
        try
        {
            tags = await source.Tags.ListAsync(repository, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RegistryException or HttpRequestException or OperationCanceledException)
        {
            Log.TagsUnlisted(logger, repository, ex.Message);
            return;
        }

        foreach (var tag in tags)
        {
            await ReadMissAsync(ImageReference.Create(sourceRegistry, repository, tag)).ConfigureAwait(false);
        }
    }

    /// <summary>A manifest pushed through the gateway: queued at once, never coalesced.</summary>
    public Task PushedAsync(ImageReference image) => QueueAsync(image, "push");

    private async Task QueueAsync(ImageReference image, string cause)
    {
        var added = await events.PublishAsync(image, cause, CancellationToken.None).ConfigureAwait(false);
        if (added > 0)
        {
            GatewayMetrics.ReplicationsQueued.WithLabels(cause).Inc(added);
            Log.Queued(logger, image.ToString(), added, cause);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Queued {Source} for {Count} destination(s) ({Cause})")]
        public static partial void Queued(ILogger logger, string source, int count, string cause);

        [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "A blob of {Repository} is not at the mirror, and the repository's tags could not be listed to queue it: {Reason}")]
        public static partial void TagsUnlisted(ILogger logger, string repository, string reason);
    }
}
