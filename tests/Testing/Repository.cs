namespace SyncGateway.Testing;

/// <summary>Where this repository's files are, for tests that read them (examples, deploy files).</summary>
public static class Repository
{
    /// <summary>The folder holding <c>SyncGateway.sln</c>, found upwards from the test binaries.</summary>
    public static string Root()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "SyncGateway.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"no SyncGateway.sln above {AppContext.BaseDirectory}");
    }
}
