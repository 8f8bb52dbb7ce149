namespace SyncGateway.Gateway.Cli;

/// <summary>
/// Where a one-shot command's socket completions run. By default .NET hands every completed socket
/// read or write from its event thread to the thread pool; a copy then pays two thread wake-ups per
/// chunk, which on this kind of machine cost more CPU than the copy itself. A one-shot command
/// (<c>sync</c>, <c>verify</c>) does little per completion besides hashing and an SQLite write, and
/// nothing that waits on another socket, so it runs its continuations on the event threads (one per
/// core) instead. The daemon keeps the default: its request handling is not for event threads.
/// </summary>
internal static class SocketCompletions
{
    private const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Asks for inline completions, unless the environment says otherwise (a user's
    /// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0</c> wins). The runtime reads the variable
    /// when the first socket is made, so this is called before any.
    /// </summary>
    public static void RunInline()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }
}
