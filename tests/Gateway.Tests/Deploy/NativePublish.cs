using System.Text.RegularExpressions;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Deploy;

/// <summary>
/// The Dockerfile's publish, made once per test run and shared: its own <c>RUN dotnet publish</c>
/// command, run on a copy of the sources as the Dockerfile copies them (so this tree's obj/ is left
/// alone), into a folder of the run. The native executable's tests use it as it is, and the image is
/// built from it (<c>SYNCGATEWAY_PUBLISHED</c> for <c>scripts/build-syncgateway-image.sh</c>), so
/// the compile, minutes of both cores, happens once. Only tests of the <see cref="NativeBuild"/>
/// collection take it: they run alone, after every test that runs in parallel.
/// </summary>
internal static partial class NativePublish
{
    private static readonly Lazy<Task<string>> Published = new(PublishAsync);

    /// <summary>The folder holding the publish (<c>syncgateway</c>, <c>libe_sqlite3.so</c>).</summary>
    public static Task<string> FolderAsync() => Published.Value;

    /// <summary>The Dockerfile's publish command's arguments, as it gives them (with <c>-o /out</c>).</summary>
    public static string[] DockerfileArguments()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Repository.Root(), "Dockerfile"));
        var publish = PublishLine().Match(dockerfile);
        return publish.Success
            ? publish.Groups["args"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : throw new InvalidOperationException("the Dockerfile must publish with 'RUN dotnet publish ... -o /out'");
    }

    private static async Task<string> PublishAsync()
    {
        var root = Repository.Root();
        var folder = Directory.CreateTempSubdirectory("syncgateway-native-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(folder, recursive: true);
        var tree = Path.Combine(folder, "tree");
        Directory.CreateDirectory(tree);
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", ".editorconfig" })
        {
            File.Copy(Path.Combine(root, file), Path.Combine(tree, file));
        }

        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "src"), "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(tree, relative))!);
            File.Copy(file, Path.Combine(tree, relative));
        }

        var output = Path.Combine(folder, "out");
        // The Dockerfile's paths are its stage's: the project under the copied tree, the output here.
        var arguments = DockerfileArguments().Select(a => a == "/out" ? output : a.EndsWith(".csproj", StringComparison.Ordinal) ? Path.Combine(tree, a) : a).ToList();
        var publish = await CliProcess.RunProgramAsync("dotnet", ["publish", .. arguments], new Dictionary<string, string>(), TimeSpan.FromMinutes(12));
        if (publish.ExitCode != 0 || !File.Exists(Path.Combine(output, "syncgateway")))
        {
            throw new InvalidOperationException($"the Dockerfile's publish (dotnet publish {string.Join(' ', arguments)}) failed; a native publish needs clang and zlib1g-dev, which scripts/install-prerequisites.sh installs:\n{publish}");
        }

        return output;
    }

    [GeneratedRegex(@"RUN dotnet publish (?<args>[^\n]*-o /out[^\n]*)")]
    private static partial Regex PublishLine();
}
