using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SyncGateway.Gateway.Metrics;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Errors;
using SyncGateway.Registry.Protocol;
using SyncGateway.Registry.Streams;
using SyncGateway.Replicator.Copying;

namespace SyncGateway.Gateway.Proxy;

/// <summary>How a request for a blob the mirror lacks was dealt with.</summary>
internal enum FillOutcome
{
    /// <summary>This request led the fill and its client was answered.</summary>
    Served,

    /// <summary>The blob is at the mirror now (another request's fill put it there): serve it from there.</summary>
    AtMirror,

    /// <summary>The fill failed before the client was answered: serve the blob from the source.</summary>
    Failed,
}

/// <summary>
/// Blobs the mirror lacks, read from the source once however many clients ask at the same time.
/// The first request leads: one GET at the source, whose bytes go to the mirror as an upload (in
/// one streamed PUT, or chunks, verified by size and digest: the registry commits it only when
/// both match) and, as they pass, to the leader's client. Requests for the same blob meanwhile
/// wait for the fill and are then served from the mirror. Nothing is held whole in memory; the
/// fill does not depend on the leader's client (one that goes away is let go and the upload
/// goes on), and an upload that fails is cancelled, so the mirror never holds a half-written blob.
/// </summary>
internal sealed partial class BlobFills(ContentChecks checks, BlobTransfers transfers, ILogger<BlobFills> logger)
{
    private const int MaxWaits = 4;
    private static readonly TimeSpan FillLimit = TimeSpan.FromHours(1);

    /// <summary>
    /// Serves a blob the mirror lacks (<paramref name="mirrorRegistry"/> as the configuration names
    /// it, the key the replicator's copies use too), leading a fill or waiting for the one running.
    /// </summary>
    public async Task<FillOutcome> ServeAsync(HttpContext context, RegistryClient source, string repository, RegistryClient mirror, string mirrorRegistry, string mirrorRepository, Descriptor blob)
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        for (var wait = 0; ; wait++)
        {
            var running = transfers.Lead(mirrorRegistry, blob.Digest, done.Task);
            if (running == done.Task)
            {
                break;
            }

            if (await JoinAsync(context, running, mirror, mirrorRepository, blob.Digest).ConfigureAwait(false) is { } joined)
            {
                return joined;
            }

            if (wait == MaxWaits)
            {
                return FillOutcome.Failed;
            }
        }

        var filled = false;
        var tee = new ClientTee(context);
        try
        {
            // A fill that ended just now (and gave up its turn) told the mirror checks first.
            if (checks.KnownAtMirror(mirrorRepository, blob.Digest))
            {
                filled = true;
                return FillOutcome.AtMirror;
            }

            filled = await FillAsync(context, source, repository, mirror, mirrorRepository, blob, tee).ConfigureAwait(false);
        }
        finally
        {
            if (filled)
            {
                checks.HeldAtMirror(mirrorRepository, blob.Digest);
            }

            transfers.Release(mirrorRegistry, blob.Digest, done.Task);
            done.SetResult(filled);
        }

        GatewayMetrics.BlobFills.WithLabels(filled ? "filled" : "failed", "led").Inc();
        if (tee.Sent == blob.Size)
        {
            return FillOutcome.Served;
        }

        if (!context.Response.HasStarted && tee.Sent == 0 && !tee.Gone)
        {
            context.Response.Clear();
            return filled ? FillOutcome.AtMirror : FillOutcome.Failed;
        }

        // Part of the blob went out and the rest cannot follow: the client must see a broken answer, not a short one.
        context.Abort();
        return FillOutcome.Served;
    }

    // Another fill says how it ended; a replicator's copy is over when its turn is: the mirror is asked.
    private async Task<FillOutcome?> JoinAsync(HttpContext context, Task running, RegistryClient mirror, string mirrorRepository, Digest digest)
    {
        await running.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        bool filled;
        if (running is Task<bool> fill)
        {
            filled = fill.Result;
        }
        else
        {
            try
            {
                filled = await mirror.Blobs.ExistsAsync(mirrorRepository, digest, context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RegistryException or HttpRequestException)
            {
                filled = false;
            }

            if (!filled)
            {
                return null;
            }

            checks.HeldAtMirror(mirrorRepository, digest);
        }

        GatewayMetrics.BlobFills.WithLabels(filled ? "filled" : "failed", "joined").Inc();
        return filled ? FillOutcome.AtMirror : FillOutcome.Failed;
    }

    private async Task<bool> FillAsync(HttpContext context, RegistryClient source, string repository, RegistryClient mirror, string mirrorRepository, Descriptor blob, ClientTee tee)
    {
        // The fill belongs to every request waiting on it, not to the client that started it.
        using var limit = new CancellationTokenSource(FillLimit);
        Uri? location = null;
        try
        {
            location = (await mirror.Uploads.StartAsync(mirrorRepository, null, null, limit.Token).ConfigureAwait(false)).Location!;
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentLength = blob.Size;
            response.ContentType = "application/octet-stream";
            response.Headers["Docker-Content-Digest"] = blob.Digest.ToString();
            response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
            response.Headers[BackendNames.Header] = Backend.Source.Name();
            await mirror.Uploads.UploadAsync(
                mirrorRepository,
                location,
                blob,
                async (offset, ct) => new TeeStream(await source.Blobs.OpenAsync(repository, blob, ct, offset).ConfigureAwait(false), tee, offset),
                limit.Token).ConfigureAwait(false);
            GatewayMetrics.ResponseBytes.WithLabels(Backend.Source.Name()).Inc(tee.Sent);
            Log.Filled(logger, blob.Digest.ToString(), mirrorRepository, blob.Size);
            return true;
        }
        catch (Exception ex) when (ex is RegistryException or HttpRequestException or IOException or DigestMismatchException or OperationCanceledException)
        {
            Log.FillFailed(logger, blob.Digest.ToString(), mirrorRepository, ex.Message);
            if (location is not null)
            {
                await mirror.Uploads.CancelAsync(mirrorRepository, location).ConfigureAwait(false);
            }

            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Filled the mirror with {Digest} for {MirrorRepository} ({Size} bytes) while serving it")]
        public static partial void Filled(ILogger logger, string digest, string mirrorRepository, long size);

        [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Could not fill the mirror with {Digest} for {MirrorRepository}: {Reason}")]
        public static partial void FillFailed(ILogger logger, string digest, string mirrorRepository, string reason);
    }
}
