using System.Text;

namespace SyncGateway.Bench;

/// <summary>The same copy, written once for syncgateway (image-syncer format) and once for skopeo sync.</summary>
internal static class Configs
{
    public static string ImageSyncer(string source, string destination, Workload workload, int? repositories = null)
    {
        var text = new StringBuilder();
        text.Append("{\"auth\": {\"").Append(source).Append("\": {\"insecure\": true}, \"").Append(destination).Append("\": {\"insecure\": true}},\n \"images\": {\n");
        text.AppendJoin(",\n", workload.RepositoryNames.Take(repositories ?? int.MaxValue).Select(r => $"  \"{source}/{r}\": \"{destination}/mirror/{r[(r.LastIndexOf('/') + 1)..]}\""));
        text.Append("\n}}\n");
        return text.ToString();
    }

    /// <summary>skopeo's YAML source: every repository, with all its tags or (<paramref name="listTags"/>) its tags by name.</summary>
    public static string Skopeo(string source, Workload workload, bool listTags = false, int? repositories = null)
    {
        var text = new StringBuilder();
        text.Append('"').Append(source).Append("\":\n  tls-verify: false\n  images:\n");
        foreach (var repository in workload.RepositoryNames.Take(repositories ?? int.MaxValue))
        {
            text.Append("    ").Append(repository).Append(": [").AppendJoin(", ", listTags ? workload.TagNames : Enumerable.Empty<string>()).Append("]\n");
        }

        return text.ToString();
    }
}
