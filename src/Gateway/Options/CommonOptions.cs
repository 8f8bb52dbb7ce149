using System.CommandLine;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Engine;
using SyncGateway.Replicator.Planning;

namespace SyncGateway.Gateway.Options;

/// <summary>
/// The options <c>sync</c> and <c>serve</c> share, defined once, and the one rule for them: a flag
/// given on the command line overrides the file, a flag left at its default does not.
/// </summary>
internal static class CommonOptions
{
    public static readonly Option<string?> Config = new("--config", "-c") { Description = "configuration file: image-syncer's (auth + images) or the native syncgateway.yaml" };

    public static readonly Option<string?> Auth = new("--auth") { Description = "image-syncer auth file (registry -> credentials), with --images" };

    public static readonly Option<string?> Images = new("--images") { Description = "image-syncer images file (source -> destination)" };

    public static readonly Option<string?> DefaultRegistry = new("--registry") { Description = "registry for an empty destination (env DEFAULT_REGISTRY)" };

    public static readonly Option<string?> DefaultNamespace = new("--namespace") { Description = "namespace for an empty destination (env DEFAULT_NAMESPACE)" };

    public static readonly Option<int> Proc = new("--proc", "-p") { Description = "images and blob transfers at once", DefaultValueFactory = _ => ReplicatorSettings.DefaultConcurrency };

    public static readonly Option<int> Retries = new("--retries", "-r") { Description = "retries of a failed blob copy or manifest push", DefaultValueFactory = _ => ReplicatorSettings.DefaultRetries };

    public static readonly Option<string?> Records = new("--records") { Description = $"the SQLite records file (default {ReplicatorSettings.DefaultRecords})" };

    public static readonly Option<string?> OneShard = new("--shard") { Description = "INDEX/COUNT: only the source repositories whose stable hash falls to shard INDEX (0-based) of COUNT" };

    public static readonly Option<int?> ShardCount = new("--shards") { Description = $"COUNT shards, this process's index from {Shard.JobIndexVariable} (an Indexed Job) or the ordinal ending POD_NAME / HOSTNAME (a StatefulSet pod)" };

    /// <summary>What <c>{shard}</c> in a records or output path becomes: <c>1-of-4</c>, or <c>whole</c> unsharded.</summary>
    public const string ShardPlaceholder = "{shard}";

    /// <summary>
    /// What is wrong with the shared flags, if anything. <paramref name="shardIndexNeeded"/> false:
    /// only the number of shards matters (a gateway replica routing to the shards' replicators).
    /// </summary>
    public static IEnumerable<string> Problems(ParseResult parse, bool shardIndexNeeded = true)
    {
        if (parse.GetValue(Proc) < 1)
        {
            yield return $"--proc: {parse.GetValue(Proc)} is not a positive number";
        }

        if (parse.GetValue(Retries) < 0)
        {
            yield return $"--retries: {parse.GetValue(Retries)} is below 0";
        }

        if (ShardOf(parse, Environment.GetEnvironmentVariable, shardIndexNeeded, out var error) is null)
        {
            yield return error!;
        }
    }

    /// <summary>
    /// The shard the flags give (<see cref="Shard.Whole"/> without <c>--shard</c> or
    /// <c>--shards</c>), or null with <paramref name="error"/> naming the flag and what is wrong.
    /// </summary>
    public static Shard? ShardOf(ParseResult parse, Func<string, string?> environment, bool indexNeeded, out string? error)
    {
        var (given, count) = (parse.GetValue(OneShard), parse.GetValue(ShardCount));
        error = null;
        if (given is not null && count is not null)
        {
            error = "--shard and --shards: give one (--shard INDEX/COUNT, or --shards COUNT with the index from the environment)";
            return null;
        }

        var shard = given is not null ? Shard.Parse(given, out error)
            : count is { } n ? (indexNeeded || n < 1 ? Shard.FromEnvironment(n, environment, out error) : new Shard(0, n))
            : Shard.Whole;
        if (shard is null)
        {
            error = $"{(given is not null ? "--shard" : "--shards")}: {error}";
        }

        return shard;
    }

    /// <summary><c>{shard}</c> in a path, replaced with the shard's label.</summary>
    public static string ForShard(string path, Shard shard) =>
        path.Replace(ShardPlaceholder, shard.IsWhole ? "whole" : shard.FileLabel, StringComparison.Ordinal);

    /// <summary>
    /// Loads the configuration the flags name (image-syncer's files or the native one), or prints
    /// every error and returns null: then nothing may be touched.
    /// </summary>
    public static async Task<SyncConfiguration?> LoadAsync(ParseResult parse, TextWriter errors)
    {
        try
        {
            return ConfigurationLoader.Load(
                new ConfigurationSources
                {
                    ConfigFile = parse.GetValue(Config),
                    AuthFile = parse.GetValue(Auth),
                    ImagesFile = parse.GetValue(Images),
                    Defaults = new SyncDefaults(
                        parse.GetValue(DefaultRegistry) ?? Environment.GetEnvironmentVariable("DEFAULT_REGISTRY"),
                        parse.GetValue(DefaultNamespace) ?? Environment.GetEnvironmentVariable("DEFAULT_NAMESPACE")),
                },
                Environment.GetEnvironmentVariable);
        }
        catch (ConfigurationException ex)
        {
            await errors.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>The engine's options: the file's <c>replicator</c> section, overridden by the flags given.</summary>
    /// <remarks>
    /// A shard keeps records of its own: with neither <c>--records</c> nor <c>replicator.records</c>,
    /// <c>./syncgateway-shard-I-of-N.db</c>; a path given may say where with <c>{shard}</c>.
    /// Call after <see cref="Problems"/> found nothing wrong.
    /// </remarks>
    public static SyncOptions ToSyncOptions(ParseResult parse, SyncConfiguration configuration, bool shardIndexNeeded = true)
    {
        var shard = ShardOf(parse, Environment.GetEnvironmentVariable, shardIndexNeeded, out var error) ?? throw new InvalidOperationException(error);
        var records = parse.GetValue(Records) ?? configuration.Replicator.Records;
        if (!shard.IsWhole && records == ReplicatorSettings.DefaultRecords)
        {
            records = $"./syncgateway-shard-{ShardPlaceholder}.db";
        }

        return new()
        {
            Concurrency = Given(parse, Proc) ? parse.GetValue(Proc) : configuration.Replicator.Concurrency,
            Retries = Given(parse, Retries) ? parse.GetValue(Retries) : configuration.Replicator.Retries,
            RecordsPath = ForShard(records, shard),
            Shard = shard,
        };
    }

    /// <summary><c>--no-overwrite</c>: <c>overwrite: false</c> for every rule.</summary>
    public static SyncConfiguration WithoutOverwrite(SyncConfiguration configuration) => configuration with
    {
        Rules = configuration.Rules.Select(r => r with { Overwrite = false }).ToList(),
        PatternRules = configuration.PatternRules.Select(r => r with { Overwrite = false }).ToList(),
    };

    public static bool Given<T>(ParseResult parse, Option<T> option) => parse.GetResult(option) is { Implicit: false };
}
