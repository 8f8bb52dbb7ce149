using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Gateway.Replication;

/// <summary>
/// <c>--role gateway</c>: stateless gateway replicas send each push to the one replicator that owns
/// the records, as a distribution notification to its webhook (with the webhook secret). If the
/// replicator cannot be reached the event is logged as lost to this path; the replicator's polling
/// still finds the image.
/// </summary>
internal sealed partial class RemoteReplicationEvents(Uri replicator, string secret, ILogger<RemoteReplicationEvents> logger) : IReplicationEvents, IDisposable
{
    /// <summary>What a gateway replica puts in <c>source.addr</c> of its events; <c>source.instanceID</c> is the cause.</summary>
    public const string ReplicaAddress = "syncgateway-gateway";

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public async Task<int> PublishAsync(ImageReference image, string cause, CancellationToken cancellationToken)
    {
        var envelope = new
        {
            events = new[]
            {
                new
                {
                    action = "push",
                    target = new { repository = image.Repository, tag = image.Tag, digest = image.Digest?.ToString() },
                    request = new { host = image.Registry },
                    source = new { addr = ReplicaAddress, instanceID = cause },
                },
            },
        };
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(replicator, "api/webhooks/distribution")) { Content = JsonContent.Create(envelope) };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
                using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    var answer = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
                    return answer.TryGetProperty("queued", out var queued) ? queued.GetInt32() : 0;
                }

                Log.Refused(logger, image.ToString(), (int)response.StatusCode);
                return 0;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                if (attempt == 2)
                {
                    Log.Unreachable(logger, image.ToString(), replicator.ToString(), ex.Message);
                }
            }
        }

        return 0;
    }

    public void Dispose() => _http.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 3201, Level = LogLevel.Error, Message = "The replicator at {Replicator} did not take {Image} ({Reason}); its polling will find it")]
        public static partial void Unreachable(ILogger logger, string image, string replicator, string reason);

        [LoggerMessage(EventId = 3202, Level = LogLevel.Error, Message = "The replicator refused the event for {Image} with {Status}")]
        public static partial void Refused(ILogger logger, string image, int status);
    }
}
