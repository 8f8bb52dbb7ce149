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
