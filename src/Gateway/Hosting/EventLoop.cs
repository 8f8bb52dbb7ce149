using SyncGateway.Gateway.Options;

namespace SyncGateway.Gateway.Hosting;

/// <summary>
/// For <c>serve --role gateway</c>: socket completions, and the request code they resume, run on
/// the socket engine's own threads (one per core, as an event loop) instead of being handed to a
/// thread-pool thread, and Kestrel sends where the write is made instead of on its IO queue. A
/// relayed blob then costs the gateway about a quarter less CPU (docs/benchmarks.md).
/// </summary>
/// <remarks>
/// .NET reads the switch once, when the process's first socket starts the engine, so it is set
/// before anything connects or listens. Only the gateway role takes it: there the request path
/// does no blocking work (no records, no SQLite; a fill's hashing is per-byte work like TLS's),
/// while with the replicator in the process its SQLite writes and digest checks would hold up
/// every socket of an engine. An operator's own <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c>
/// (<c>0</c> to keep the thread pool) wins.
/// </remarks>
internal static class EventLoop
{
    public const string Switch = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Turns the event loop on for the gateway role, unless the operator decided; before the first socket.</summary>
    public static void PreferFor(ServeRole role)
    {
        if (role == ServeRole.Gateway && Environment.GetEnvironmentVariable(Switch) is null)
        {
            Environment.SetEnvironmentVariable(Switch, "1");
        }
    }

    /// <summary>Whether this role runs as an event loop: Kestrel then schedules inline too.</summary>
    public static bool Runs(ServeRole role) => role == ServeRole.Gateway && Environment.GetEnvironmentVariable(Switch) == "1";
}
