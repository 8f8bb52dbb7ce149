using Polly;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Replicator.Retries;

/// <summary>
/// The process's retry pipeline, shared by every caller; the statistics of the run a unit belongs
/// to ride along in its resilience context, so one pipeline serves every run at once.
/// </summary>
internal sealed class Retrier(ResiliencePipeline pipeline)
{
    internal static readonly ResiliencePropertyKey<TransferStats> StatsKey = new("syncgateway.stats");

    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> unit, TransferStats stats, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(StatsKey, stats);
        try
        {
            return await pipeline.ExecuteAsync(
                static async (context, unit) => await unit(context.CancellationToken).ConfigureAwait(false),
                context,
                unit).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    public Task RunAsync(Func<CancellationToken, Task> unit, TransferStats stats, CancellationToken cancellationToken) =>
        RunAsync(
            async ct =>
            {
                await unit(ct).ConfigureAwait(false);
                return true;
            },
            stats,
            cancellationToken);
}
