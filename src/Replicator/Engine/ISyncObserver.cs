namespace SyncGateway.Replicator.Engine;

/// <summary>Hears a run's progress, for a live display or log lines.</summary>
public interface ISyncObserver
{
    void Planned(int tasks);

    void Completed(TaskResult result);
}
