namespace SyncGateway.Registry.Client;

/// <summary>Token scopes of the distribution auth spec.</summary>
public static class RegistryScopes
{
    public const string Catalog = "registry:catalog:*";

    public static string Pull(string repository) => $"repository:{repository}:pull";

    public static string Push(string repository) => $"repository:{repository}:pull,push";
}
