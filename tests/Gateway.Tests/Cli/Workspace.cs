namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>A temporary folder for one test's configuration files and records.</summary>
internal sealed class Workspace : IDisposable
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("syncgateway-test-").FullName;

    public string Records => Path.Combine(Folder, "records.db");

    public string Write(string name, string content)
    {
        var path = Path.Combine(Folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>An image-syncer auth file (auth.yaml) that reaches each of <paramref name="hosts"/> over plain HTTP.</summary>
    public string InsecureAuth(params string[] hosts) =>
        Write("auth.yaml", string.Concat(hosts.Select(host => $"\"{host}\": {{insecure: true}}\n")));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
