using SyncGateway.Registry.Client;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Tasks;

namespace SyncGateway.Replicator.Copying;

/// <summary>
/// One destination of a copy: what it held, what it ended with, or what failed it. A lane that
/// failed takes no further part; the others go on.
/// </summary>
internal sealed class CopyLane(SyncTask task, RegistryClient destination)
{
    private Exception? _failure;

    public SyncTask Work { get; } = task;

    public RegistryClient Destination { get; } = destination;

    public Digest? Existing { get; set; }

    public CopyResult? Result { get; set; }

    public Exception? Failure => Volatile.Read(ref _failure);

    /// <summary>Still to be copied: neither done nor failed.</summary>
    public bool Live => Result is null && Failure is null;

    public void Fail(Exception failure) => Interlocked.CompareExchange(ref _failure, failure, null);

    /// <summary>Runs a step of this lane; a failure fails the lane, not the copy (cancellation still ends it all).</summary>
    public async Task Run(Func<Task> step)
    {
        try
        {
            await step().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || ex is OperationCanceledException { CancellationToken.IsCancellationRequested: false })
        {
            Fail(ex);
        }
    }
}
