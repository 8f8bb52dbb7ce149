using SyncGateway.Testing;

namespace SyncGateway.Bench;

/// <summary>A set of images to generate in a source registry, and how many bytes that is.</summary>
internal sealed record Workload(string Name, string Description, int Repositories, int Tags, Func<ImageSeeder, int, int, Task> PushImage)
{
    private static readonly string[] DemoRepositories = ["library/nginx", "library/redis", "team/api"];

    /// <summary>The far workload's base layer: the same bytes in every image.</summary>
    private static readonly Lazy<byte[]> FarBase = new(() => ImageSeeder.GzipBytes(1 << 20, 3));

    public static readonly Workload Small = new(
        "small", "200 repositories x 1 tag, two 64 KiB layers each", 200, 1,
        async (seeder, repo, tag) => await seeder.PushImageAsync(
            $"bench/small{repo}", $"v{tag}",
            [ImageSeeder.RandomBytes(64 * 1024, (repo * 10) + 1), ImageSeeder.RandomBytes(64 * 1024, (repo * 10) + 2)]));

    /// <summary>Every image: the shared 32 MiB base, an 8 MiB layer of its repository, and an 8 MiB layer of its own.</summary>
    public static readonly Workload Layered = new(
        "layered", "20 repositories x 3 tags: shared 32 MiB base + two 8 MiB layers", 20, 3,
        async (seeder, repo, tag) =>
        {
            var repository = $"bench/layered{repo}";
            var layers = new List<(string, long)>
            {
                (await seeder.PushGeneratedBlobAsync(repository, 32L << 20, 7), 32L << 20),
                (await seeder.PushGeneratedBlobAsync(repository, 8L << 20, 1000 + repo), 8L << 20),
                (await seeder.PushGeneratedBlobAsync(repository, 8L << 20, 100_000 + (repo * 10) + tag), 8L << 20),
            };
            await seeder.PushImageWithLayersAsync(repository, $"v{tag}", layers);
        });

    public static readonly Workload Large = new(
        "large", "1 image with one 1 GiB layer", 1, 1,
        async (seeder, repo, tag) =>
        {
            var repository = "bench/large";
            var layer = await seeder.PushGeneratedBlobAsync(repository, 1L << 30, 42);
            await seeder.PushImageWithLayersAsync(repository, "v0", [(layer, 1L << 30)]);
        });

    /// <summary>
    /// The far-network benchmark's images: every one has the same 1 MiB base layer and two 256 KiB
    /// layers of its own (gzip streams, which skopeo copies as they are); tag v0 has an OCI
    /// manifest, v1 a Docker schema 2 one.
    /// </summary>
    public static readonly Workload Far = new(
        "far", "40 repositories x 2 tags: shared 1 MiB base + two 256 KiB layers, OCI (v0) and Docker schema 2 (v1)", 40, 2,
        async (seeder, repo, tag) => await seeder.PushImageAsync(
            $"bench/far{repo}", $"v{tag}",
            [FarBase.Value, ImageSeeder.GzipBytes(256 * 1024, 1000 + (repo * 10) + tag), ImageSeeder.GzipBytes(256 * 1024, 500_000 + (repo * 10) + tag)],
            tag == 0 ? ImageSeeder.OciManifest : ImageSeeder.DockerManifest));

    /// <summary>A few images with a shared base layer, for the five-minute demo.</summary>
    public static readonly Workload Demo = new(
        "demo", "library/nginx, library/redis and team/api, tags 1.0 and 1.1, on a shared base layer", 3, 2,
        async (seeder, repo, tag) => await seeder.PushImageAsync(
            DemoRepositories[repo], $"1.{tag}",
            [ImageSeeder.RandomBytes(2 << 20, 1), ImageSeeder.RandomBytes(256 * 1024, (repo * 10) + tag + 2)]));

    public static Workload? Find(string name) => new[] { Small, Layered, Large, Demo, Far }.FirstOrDefault(w => w.Name == name);

    public IEnumerable<string> RepositoryNames => Enumerable.Range(0, Repositories).Select(r => Name switch
    {
        "large" => "bench/large",
        "demo" => DemoRepositories[r],
        _ => $"bench/{Name}{r}",
    });

    /// <summary>The tags every repository has.</summary>
    public IEnumerable<string> TagNames => Enumerable.Range(0, Tags).Select(t => Name == "demo" ? $"1.{t}" : $"v{t}");

    /// <summary>Pushes every image, <paramref name="parallel"/> at a time.</summary>
    public async Task SeedAsync(ImageSeeder seeder, int parallel)
    {
        var images = from repo in Enumerable.Range(0, Repositories) from tag in Enumerable.Range(0, Tags) select (repo, tag);
        await Parallel.ForEachAsync(images, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (image, _) => await PushImage(seeder, image.repo, image.tag));
    }
}
