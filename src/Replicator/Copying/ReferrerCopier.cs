using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Engine;
using SyncGateway.Replicator.Retries;
using SyncGateway.Replicator.Tasks;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Replicator.Copying;

/// <summary>
/// Copies what refers to an image after the image: signatures, SBOMs and attestations, as the same
/// bytes, so every digest is kept. They are found with the source's referrers API where it has one,
/// else with the tag schema (the fallback index under <c>sha256-HEX</c>), and cosign's
/// <c>sha256-HEX.sig</c> / <c>.att</c> / <c>.sbom</c> tags are copied under the same tags. A
/// destination without the referrers API gets its fallback index kept up to date, so clients that
/// look there (cosign, notation, oras) find the referrers as they found them at the source. What
/// each registry shows of the referrers API is learnt once, as it answers.
/// </summary>
internal sealed class ReferrerCopier(BlobCopier blobs, Retrier retry, ILogger logger)
{
    private const int MaxIndexDepth = 2;

    // Whether each registry answers the referrers API: one question per registry, which every image
    // in flight waits for (absent: not asked yet; null: the question failed, and is asked again).
    private readonly ConcurrentDictionary<string, Task<bool?>> _api = new(StringComparer.OrdinalIgnoreCase);

    // The fallback index of one subject at one destination is rewritten by one copy at a time.
    private readonly KeyedLock _fallbacks = new();

    /// <summary>Copies the referrers of <paramref name="subject"/> (the digest the task's image has at both ends) that the task's rule takes.</summary>
    public async Task CopyAsync(SyncTask task, Digest subject, RunContext run, CancellationToken cancellationToken)
    {
        var source = run.Registries.Get(task.Source.Registry, task.Source.Repository);
        var destination = run.Registries.Get(task.Destination.Registry, task.Destination.Repository);
        var indexed = new List<Descriptor>();
        foreach (var referrer in await FindAsync(run, source, task.Source, subject, task.SourceReferrerTags, cancellationToken).ConfigureAwait(false))
        {
            Descriptor copied;
            try
            {
                var type = referrer.ArtifactType ?? (task.ArtifactTypes.Count == 0 ? null
                    : (await retry.RunAsync(ct => source.Manifests.GetAsync(task.Source.Repository, referrer.Descriptor.Digest.ToString(), ct), run.Stats, cancellationToken).ConfigureAwait(false)).ArtifactType);
                if (task.ArtifactTypes.Count > 0 && !task.ArtifactTypes.Contains(type ?? string.Empty, StringComparer.Ordinal))
                {
                    continue;
                }

                copied = await CopyOneAsync(run, source, task, referrer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                throw new InvalidOperationException($"the referrer {referrer.Tag ?? referrer.Descriptor.Digest.ToString()} of {task.Source.Name}@{subject} was not copied: {RetryPolicy.Describe(ex)}", ex);
            }

            if (referrer.Tag is null)
            {
                indexed.Add(copied);
            }
        }

        if (indexed.Count > 0 && !await HasApiAsync(run, destination, task.Destination, subject, cancellationToken).ConfigureAwait(false))
        {
            await UpdateFallbackAsync(run, destination, task.Destination, subject, indexed, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The referrers of <paramref name="subject"/> at the source. Without the referrers API, a tag
    /// is asked for only when it may exist: when the run listed the repository's tags
    /// (<paramref name="knownTags"/>), only those among them.
    /// </summary>
    private async Task<List<Referrer>> FindAsync(RunContext run, RegistryClient source, ImageReference image, Digest subject, IReadOnlySet<string>? knownTags, CancellationToken cancellationToken)
    {
        bool MayExist(string tag) => knownTags is null || knownTags.Contains(tag);

        var found = new List<Referrer>();
        if (await HasApiAsync(run, source, image, subject, cancellationToken).ConfigureAwait(false))
        {
            var listed = await retry.RunAsync(ct => source.Referrers.ListAsync(image.Repository, subject, ct), run.Stats, cancellationToken).ConfigureAwait(false) ?? [];
            found.AddRange(listed.Select(d => new Referrer(d, null, d.ArtifactType)));
        }
        else if (MayExist(ReferrerTags.Fallback(subject)))
        {
            var fallback = await retry.RunAsync(ct => source.Manifests.HeadAsync(image.Repository, ReferrerTags.Fallback(subject), ct), run.Stats, cancellationToken).ConfigureAwait(false);
            if (fallback is not null)
            {
                var index = await retry.RunAsync(ct => source.Manifests.GetAsync(image.Repository, fallback.Digest.ToString(), ct), run.Stats, cancellationToken).ConfigureAwait(false);
                found.AddRange(index.Children.Select(d => new Referrer(d, null, d.ArtifactType)));
            }
        }

        foreach (var (suffix, artifactType) in ReferrerTags.Cosign)
        {
            var tag = $"{ReferrerTags.Fallback(subject)}.{suffix}";
            if (!MayExist(tag))
            {
                continue;
            }

            var head = await retry.RunAsync(ct => source.Manifests.HeadAsync(image.Repository, tag, ct), run.Stats, cancellationToken).ConfigureAwait(false);
            if (head is not null)
            {
                found.Add(new Referrer(head, tag, artifactType));
            }
        }

        return found.DistinctBy(r => (r.Descriptor.Digest, r.Tag)).ToList();
    }

    /// <summary>
    /// Whether the registry answers the referrers API; asked once per registry, with the subject at
    /// hand, while the other images in flight wait for that answer instead of asking too.
    /// </summary>
    private async Task<bool> HasApiAsync(RunContext run, RegistryClient client, ImageReference image, Digest subject, CancellationToken cancellationToken)
    {
        while (true)
        {
            var mine = new TaskCompletionSource<bool?>(TaskCreationOptions.RunContinuationsAsynchronously);
            var asked = _api.GetOrAdd(image.Registry, mine.Task);
            if (asked != mine.Task)
            {
                if (await asked.WaitAsync(cancellationToken).ConfigureAwait(false) is { } known)
                {
                    return known;
                }

                continue;
            }

            try
            {
                var answer = await retry.RunAsync(ct => client.Referrers.ListAsync(image.Repository, subject, ct), run.Stats, cancellationToken).ConfigureAwait(false);
                ReplicatorLog.ReferrersApi(logger, image.Registry, answer is not null ? "has the referrers API" : "has no referrers API: referrers are found and kept with the sha256-<hex> tag schema");
                mine.SetResult(answer is not null);
                return answer is not null;
            }
            catch
            {
                _api.TryRemove(KeyValuePair.Create(image.Registry, mine.Task));
                mine.SetResult(null);
                throw;
            }
        }
    }

    /// <summary>One referrer, as the same bytes, by digest (or under its cosign tag); returns its descriptor for the fallback index.</summary>
    private async Task<Descriptor> CopyOneAsync(RunContext run, RegistryClient source, SyncTask task, Referrer referrer, CancellationToken cancellationToken)
    {
        var destination = run.Registries.Get(task.Destination.Registry, task.Destination.Repository);
        var reference = referrer.Tag ?? referrer.Descriptor.Digest.ToString();
        var present = await retry.RunAsync(ct => destination.Manifests.HeadAsync(task.Destination.Repository, reference, ct), run.Stats, cancellationToken).ConfigureAwait(false);
        if (present?.Digest == referrer.Descriptor.Digest && referrer.Descriptor.Size >= 0)
        {
            run.Stats.Referrer(ReferrerAction.Present);
            return referrer.Descriptor;
        }

        var manifest = await retry.RunAsync(ct => source.Manifests.GetAsync(task.Source.Repository, referrer.Descriptor.Digest.ToString(), ct), run.Stats, cancellationToken).ConfigureAwait(false);
        var descriptor = new Descriptor { MediaType = manifest.MediaType, Digest = manifest.Digest, Size = manifest.Bytes.Length, ArtifactType = manifest.ArtifactType ?? referrer.ArtifactType };
        if (present?.Digest == manifest.Digest)
        {
            run.Stats.Referrer(ReferrerAction.Present);
            return descriptor;
        }

        await CopyContentAsync(run, source, destination, task, manifest, 0, cancellationToken).ConfigureAwait(false);
        await retry.RunAsync(ct => destination.Manifests.PutAsync(task.Destination.Repository, reference, manifest, ct), run.Stats, cancellationToken).ConfigureAwait(false);
        run.Stats.ManifestPushed();
        run.Stats.Referrer(ReferrerAction.Copied);
        ReplicatorLog.ReferrerCopied(logger, descriptor.ArtifactType ?? manifest.MediaType, manifest.Digest.ToString(), task.Destination.Name, manifest.Subject?.Digest.ToString() ?? reference);
        return descriptor;
    }

    private async Task CopyContentAsync(RunContext run, RegistryClient source, RegistryClient destination, SyncTask task, Manifest manifest, int depth, CancellationToken cancellationToken)
    {
        if (!manifest.IsIndex)
        {
            await Task.WhenAll(manifest.Blobs.DistinctBy(b => b.Digest)
                .Select(blob => blobs.EnsureAsync(run, source, task.Source, destination, task.Destination, blob, cancellationToken))).ConfigureAwait(false);
            return;
        }

        if (depth >= MaxIndexDepth)
        {
            throw new InvalidManifestException($"a referrer index of {task.Source} nests deeper than {MaxIndexDepth} levels");
        }

        foreach (var child in manifest.Children)
        {
            var present = await retry.RunAsync(ct => destination.Manifests.HeadAsync(task.Destination.Repository, child.Digest.ToString(), ct), run.Stats, cancellationToken).ConfigureAwait(false);
            if (present?.Digest == child.Digest)
            {
                continue;
            }

            var childManifest = await retry.RunAsync(ct => source.Manifests.GetAsync(task.Source.Repository, child.Digest.ToString(), ct), run.Stats, cancellationToken).ConfigureAwait(false);
            await CopyContentAsync(run, source, destination, task, childManifest, depth + 1, cancellationToken).ConfigureAwait(false);
            await retry.RunAsync(ct => destination.Manifests.PutAsync(task.Destination.Repository, child.Digest.ToString(), childManifest, ct), run.Stats, cancellationToken).ConfigureAwait(false);
            run.Stats.ManifestPushed();
        }
    }

    /// <summary>
    /// The destination's fallback index of the subject (<c>sha256-HEX</c>): the entries it has, and
    /// those of <paramref name="referrers"/> it lacks; pushed only when something was added.
    /// </summary>
    private async Task UpdateFallbackAsync(RunContext run, RegistryClient destination, ImageReference image, Digest subject, IReadOnlyList<Descriptor> referrers, CancellationToken cancellationToken)
    {
        var tag = ReferrerTags.Fallback(subject);
        using var exclusive = await _fallbacks.AcquireAsync($"{image.Name}@{subject}", cancellationToken).ConfigureAwait(false);
        var head = await retry.RunAsync(ct => destination.Manifests.HeadAsync(image.Repository, tag, ct), run.Stats, cancellationToken).ConfigureAwait(false);
        JsonObject root;
        if (head is not null)
        {
            var existing = await retry.RunAsync(ct => destination.Manifests.GetAsync(image.Repository, head.Digest.ToString(), ct), run.Stats, cancellationToken).ConfigureAwait(false);
            root = JsonNode.Parse(existing.Bytes.Span)?.AsObject() ?? [];
        }
        else
        {
            root = new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = MediaTypes.OciIndex, ["manifests"] = new JsonArray() };
        }

        if (root["manifests"] is not JsonArray entries)
        {
            root["manifests"] = entries = [];
        }

        var known = entries.Select(e => e?["digest"]?.GetValue<string>()).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var added = 0;
        foreach (var referrer in referrers.Where(r => known.Add(r.Digest.ToString())))
        {
            var entry = new JsonObject { ["mediaType"] = referrer.MediaType, ["digest"] = referrer.Digest.ToString(), ["size"] = referrer.Size };
            if (referrer.ArtifactType is { } artifactType)
            {
                entry["artifactType"] = artifactType;
            }

            // As a JsonNode: the generic Add<T> would wrap a value it does not know by reflection.
            entries.Add((JsonNode)entry);
            added++;
        }

        if (added == 0)
        {
            return;
        }

        var index = Manifest.Parse(Encoding.UTF8.GetBytes(root.ToJsonString()), MediaTypes.OciIndex);
        await retry.RunAsync(ct => destination.Manifests.PutAsync(image.Repository, tag, index, ct), run.Stats, cancellationToken).ConfigureAwait(false);
        run.Stats.ManifestPushed();
    }

    /// <summary>A referrer as it was found: its descriptor, the cosign tag it is under (if it was found so), and its artifact type when known.</summary>
    private sealed record Referrer(Descriptor Descriptor, string? Tag, string? ArtifactType);
}
