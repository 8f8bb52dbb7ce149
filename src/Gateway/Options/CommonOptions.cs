using System.CommandLine;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Engine;

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

    /// <summary>What is wrong with the shared flags, if anything.</summary>
    public static IEnumerable<string> Problems(ParseResult parse)
    {
        if (parse.GetValue(Proc) < 1)
        {
            yield return $"--proc: {parse.GetValue(Proc)} is not a positive number";
        }

        if (parse.GetValue(Retries) < 0)
        {
            yield return $"--retries: {parse.GetValue(Retries)} is below 0";
        }
    }

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
    public static SyncOptions ToSyncOptions(ParseResult parse, SyncConfiguration configuration) => new()
    {
        Concurrency = Given(parse, Proc) ? parse.GetValue(Proc) : configuration.Replicator.Concurrency,
        Retries = Given(parse, Retries) ? parse.GetValue(Retries) : configuration.Replicator.Retries,
        RecordsPath = parse.GetValue(Records) ?? configuration.Replicator.Records,
    };

    /// <summary><c>--no-overwrite</c>: <c>overwrite: false</c> for every rule.</summary>
    public static SyncConfiguration WithoutOverwrite(SyncConfiguration configuration) => configuration with
    {
        Rules = configuration.Rules.Select(r => r with { Overwrite = false }).ToList(),
        PatternRules = configuration.PatternRules.Select(r => r with { Overwrite = false }).ToList(),
    };

    public static bool Given<T>(ParseResult parse, Option<T> option) => parse.GetResult(option) is { Implicit: false };
}
