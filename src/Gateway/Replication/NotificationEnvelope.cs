namespace SyncGateway.Gateway.Replication;

/// <summary>
/// The part of a CNCF distribution notification envelope that a gateway replica sends to the
/// replicator for a push it saw (the same shape the registry's notifications have).
/// </summary>
internal sealed record NotificationEnvelope(IReadOnlyList<NotificationEnvelope.Event> Events)
{
    /// <summary>One push.</summary>
    internal sealed record Event(string Action, Target Target, Request Request, Source Source);

    /// <summary>What was pushed.</summary>
    internal sealed record Target(string Repository, string? Tag, string? Digest);

    /// <summary>The registry the push went to.</summary>
    internal sealed record Request(string Host);

    /// <summary>Who sends the event, and why (<c>instanceID</c>).</summary>
    internal sealed record Source(string Addr, string InstanceID);
}
