using System.Threading.Channels;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Planning;
using SyncGateway.Replicator.Tasks;

namespace SyncGateway.Replicator.Engine;

/// <summary>A run's plan and its workers together: the engine's sync and verify both run this way.</summary>
internal static class PlannedWork
{
    /// <summary>
    /// The planner streaming into the workers <paramref name="work"/> starts on a bounded channel of
    /// source images (each with its tasks, one per destination): work starts with the first image,
    /// while the planner lists ahead. If either side fails, the other is stopped and awaited, so
    /// nothing runs on after this returns.
    /// </summary>
    public static async Task<Plan> RunAsync(
        Planner planner, SyncConfiguration configuration, RunContext run, int imagesInFlight, Action? planned, Func<ChannelReader<IReadOnlyList<SyncTask>>, CancellationToken, IEnumerable<Task>> work, CancellationToken cancellationToken)
    {
        var queue = Channel.CreateBounded<IReadOnlyList<SyncTask>>(new BoundedChannelOptions(4 * imagesInFlight) { SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        async Task StopOnFailure(Task worker)
        {
            try
            {
                await worker.ConfigureAwait(false);
            }
            catch
            {
                await stop.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }

        // Greeted while the plan starts, so the first images do not each wait for a connection, a scheme probe or a challenge.
        run.Registries.ConnectAhead(configuration.NamedRepositories(), stop.Token);
        var workers = work(queue.Reader, stop.Token).Select(StopOnFailure).ToList();
        Plan plan;
        try
        {
            plan = await planner.StreamAsync(
                configuration,
                run,
                imagesInFlight,
                async image =>
                {
                    foreach (var _ in image)
                    {
                        planned?.Invoke();
                    }

                    await queue.Writer.WriteAsync(image, stop.Token).ConfigureAwait(false);
                },
                stop.Token).ConfigureAwait(false);
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            queue.Writer.TryComplete();
            await Task.WhenAll(workers.Select(w => w.ContinueWith(static _ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        return plan;
    }
}
