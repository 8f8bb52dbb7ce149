using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using SyncGateway.Gateway.Json;
using SyncGateway.Gateway.Live;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Planning;

namespace SyncGateway.Gateway.Replication;

/// <summary>
/// <c>--role gateway</c>: stateless gateway replicas send each push to the replicator that owns
/// the records, as a distribution notification to its webhook (with the webhook secret). With
/// <c>--shards R</c> there are R replicators, each owning the source repositories that hash to it
/// (<see cref="ShardMap"/>): <c>gateway.replicator</c> is then a template whose <c>{shard}</c> becomes
/// the owner's ordinal, and a sharded replicator forwards the webhook events it does not own the
/// same way. If the owner cannot be reached the event is logged as lost to this path; the owner's
/// polling still finds the image, and the other owners are not held up.
/// </summary>
internal sealed partial class RemoteReplicationEvents(string replicator, int shards, LiveConfiguration live, string secret, ILogger<RemoteReplicationEvents> logger) : IReplicationEvents, IDisposable
{
    /// <summary>What a gateway replica puts in <c>source.addr</c> of its events; <c>source.instanceID</c> is the cause.</summary>
    public const string ReplicaAddress = "syncgateway-gateway";

    /// <summary>In <c>gateway.replicator</c>, the owner's shard ordinal.</summary>
    public const string ShardPlaceholder = "{shard}";

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private Owners? _owners;

    /// <summary>The shard, of <c>--shards</c>, that owns <paramref name="image"/>'s source repository under the configuration in force.</summary>
    public int ShardOf(ImageReference image)
    {
        // One map per configuration generation (a reload can move repositories between owners).
        var configuration = live.Configuration;
        var owners = _owners;
        if (owners is null || !ReferenceEquals(owners.Configuration, configuration))
        {
            _owners = owners = new Owners(configuration, new ShardMap(configuration));
        }

        return owners.Map.OwnerOf(image, shards);
    }

    /// <summary>The replicator that owns <paramref name="image"/>'s source repository.</summary>
    public Uri OwnerOf(ImageReference image) =>
        new(replicator.Replace(ShardPlaceholder, ShardOf(image).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));

    public async Task<int> PublishAsync(ImageReference image, string cause, CancellationToken cancellationToken)
    {
        var owner = OwnerOf(image);
        var envelope = new NotificationEnvelope(
        [
            new NotificationEnvelope.Event(
                "push",
                new(image.Repository, image.Tag, image.Digest?.ToString()),
                new(image.Registry),
                new(ReplicaAddress, cause)),
        ]);
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(owner, "api/webhooks/distribution")) { Content = JsonContent.Create(envelope, GatewayJsonContext.Default.NotificationEnvelope) };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
                using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    var answer = await response.Content.ReadFromJsonAsync(GatewayJsonContext.Default.JsonElement, cancellationToken).ConfigureAwait(false);
                    return answer.TryGetProperty("queued", out var queued) ? queued.GetInt32() : 0;
                }

                Log.Refused(logger, owner.ToString(), image.ToString(), (int)response.StatusCode);
                return 0;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                if (attempt == 2)
                {
                    Log.Unreachable(logger, image.ToString(), owner.ToString(), ex.Message);
                }
            }
        }

        return 0;
    }

    public void Dispose() => _http.Dispose();

    private sealed record Owners(SyncConfiguration Configuration, ShardMap Map);

    private static partial class Log
    {
        [LoggerMessage(EventId = 3201, Level = LogLevel.Error, Message = "The replicator at {Replicator} did not take {Image} ({Reason}); its polling will find it")]
        public static partial void Unreachable(ILogger logger, string image, string replicator, string reason);

        [LoggerMessage(EventId = 3202, Level = LogLevel.Error, Message = "The replicator at {Replicator} refused the event for {Image} with {Status}")]
        public static partial void Refused(ILogger logger, string replicator, string image, int status);
    }
}
