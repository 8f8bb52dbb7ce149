namespace SyncGateway.Registry.Limits;

/// <summary>Hears what a registry's limits do, for metrics and logs. Hosts are registry hosts from the configuration.</summary>
public interface IRegistryLimitObserver
{
    /// <summary>The requests allowed in flight to <paramref name="host"/> changed (null: no cap).</summary>
    void LimitChanged(string host, int? limit, string reason);

    /// <summary>Requests to <paramref name="host"/> wait <paramref name="pause"/>, as the registry asked.</summary>
    void Paused(string host, TimeSpan pause, string reason);

    /// <summary>The registry said how many requests are left (<c>RateLimit-Remaining</c>).</summary>
    void RemainingObserved(string host, double remaining);
}
