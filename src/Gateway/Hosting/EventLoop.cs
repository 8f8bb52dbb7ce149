using SyncGateway.Gateway.Options;

namespace SyncGateway.Gateway.Hosting;

/// <summary>
/// Where socket completions run. By default .NET hands every completed socket read or write from
/// its event thread to a thread-pool thread; relaying or copying a blob then pays two thread
/// wake-ups per chunk, which on a small machine cost more CPU than the bytes themselves. As an
/// event loop, completions and the code they resume run on the socket engine's own threads (one
/// per core), and Kestrel sends where the write is made instead of on its IO queue.
/// </summary>
/// <remarks>
/// .NET reads the switch once, when the process's first socket starts the engine, so it is set
/// before anything connects or listens. Only what does no blocking work on that path takes it:
/// the one-shot commands (<c>sync</c>, <c>verify</c>: per completion a hash update and now and
/// then an SQLite write, nothing that waits on another socket) and <c>serve --role gateway</c>
/// (no records, no SQLite; a fill's hashing is per-byte work like TLS's). A daemon with the
/// replicator in it keeps the thread pool: its SQLite writes and digest checks would hold up every
/// socket of an engine while its gateway serves. An operator's own
/// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c> (<c>0</c> to keep the thread pool) wins.
/// Programs started from the process (credential helpers, a <c>passwordCommand</c>) inherit the
/// variable, which tunes nothing but a .NET program's sockets. Figures in docs/benchmarks.md.
/// </remarks>
internal static class EventLoop
{
    public const string Switch = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Turns the event loop on (for a one-shot command), unless the operator decided; before the first socket.</summary>
    public static void Prefer()
    {
        if (Environment.GetEnvironmentVariable(Switch) is null)
        {
            Environment.SetEnvironmentVariable(Switch, "1");
        }
    }

    /// <summary>Turns the event loop on for the gateway role, unless the operator decided; before the first socket.</summary>
    public static void PreferFor(ServeRole role)
    {
        if (role == ServeRole.Gateway)
        {
            Prefer();
        }
    }

    /// <summary>Whether this role runs as an event loop: Kestrel then schedules inline too.</summary>
    public static bool Runs(ServeRole role) => role == ServeRole.Gateway && Environment.GetEnvironmentVariable(Switch) == "1";
}
