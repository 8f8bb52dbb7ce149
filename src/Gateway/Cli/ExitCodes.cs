namespace SyncGateway.Gateway.Cli;

/// <summary>The exit codes of ARCHITECTURE.md.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int SomeFailed = 1;
    public const int BadConfiguration = 2;
}
