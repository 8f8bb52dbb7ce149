using System.Globalization;

namespace SyncGateway.Registry.Transport;

/// <summary>Hears how many requests a registry says are left (<c>RateLimit-Remaining: 76;w=21600</c>, Docker Hub and others).</summary>
internal sealed class RateLimitHandler(string host, Action<string, double> observed) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.Headers.TryGetValues("RateLimit-Remaining", out var values)
            && double.TryParse(values.First().Split(';')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var remaining))
        {
            observed(host, remaining);
        }

        return response;
    }
}
