namespace SyncGateway.Gateway.Metrics;

/// <summary>Who answered a request: the mirror (a destination registry), the source, or the gateway itself.</summary>
public enum Backend
{
    Mirror,
    Source,
    Gateway,
}

internal static class BackendNames
{
    public const string Header = "X-SyncGateway-Backend";

    public static string Name(this Backend backend) => backend switch
    {
        Backend.Mirror => "mirror",
        Backend.Source => "source",
        _ => "gateway",
    };
}
