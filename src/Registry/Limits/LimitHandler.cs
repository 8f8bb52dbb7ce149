namespace SyncGateway.Registry.Limits;

/// <summary>
/// Puts every request to a registry under its <see cref="RegistryLimits"/>: it waits for a pause,
/// the request rate and a slot before it goes; its body (either way) shares the bandwidth; and
/// its answer teaches the limits. A streamed answer keeps its slot until it has been read.
/// </summary>
internal sealed class LimitHandler(RegistryLimits limits) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var slot = await limits.EnterAsync(cancellationToken).ConfigureAwait(false);
        HttpResponseMessage response;
        try
        {
            if (limits.Bandwidth is { } upload && request.Content is { } body)
            {
                request.Content = new LimitedRequestContent(body, upload);
            }

            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            slot.Dispose();
            throw;
        }

        limits.Observe(response, slot.Epoch);

        // Without a cap there is nothing to hold the body for: the data path stays as it is.
        if (!limits.Capped || request.Method == HttpMethod.Head || response.Content.Headers.ContentLength == 0)
        {
            slot.Dispose();
            return response;
        }

        // The slot (and the bandwidth) follow the body until it has been read.
        var headers = response.Content.Headers;
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var limited = new StreamContent(new LimitedResponseStream(stream, limits.Bandwidth, slot));
        foreach (var (name, values) in headers)
        {
            limited.Headers.TryAddWithoutValidation(name, values);
        }

        response.Content = limited;
        return response;
    }
}
