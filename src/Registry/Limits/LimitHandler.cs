namespace SyncGateway.Registry.Limits;

/// <summary>
/// Puts every request to a registry under its <see cref="RegistryLimits"/>: it waits for a pause,
/// the request rate and a slot before it goes; its body (either way) shares the bandwidth; and
/// its answer teaches the limits. A slot is held until the answer's headers arrive, not while its
/// body is read: a download waiting for its upload to the same registry must never hold the slot
/// that upload needs (the streams themselves are bounded by the replicator's stream limit).
/// </summary>
internal sealed class LimitHandler(RegistryLimits limits) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        var original = request.Content;
        using (var slot = await limits.EnterAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                if (limits.Bandwidth is { } upload && original is not null)
                {
                    request.Content = new LimitedRequestContent(original, upload);
                }

                response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // The request may be sent again (a fresh token): it goes with its own body, wrapped anew.
                request.Content = original;
            }

            limits.Observe(response, slot.Epoch);
        }

        if (limits.Bandwidth is not { } download || request.Method == HttpMethod.Head || response.Content.Headers.ContentLength == 0)
        {
            return response;
        }

        var headers = response.Content.Headers;
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var limited = new StreamContent(new LimitedResponseStream(stream, download));
        foreach (var (name, values) in headers)
        {
            limited.Headers.TryAddWithoutValidation(name, values);
        }

        response.Content = limited;
        return response;
    }
}
