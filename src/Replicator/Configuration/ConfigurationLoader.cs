using System.Text.Json.Nodes;

namespace SyncGateway.Replicator.Configuration;

/// <summary>
/// Loads the configuration of a run from image-syncer's files or the native file, and reports
/// every error in all of them at once (<see cref="ConfigurationException"/>).
/// </summary>
public static class ConfigurationLoader
{
    public static SyncConfiguration Load(ConfigurationSources sources, Func<string, string?> environment)
    {
        var errors = new List<ConfigurationError>();
        var configuration = Read(sources, environment, errors);
        if (errors.Count > 0 || configuration is null)
        {
            throw new ConfigurationException(errors.Count > 0 ? errors : [new ConfigurationError("(arguments)", string.Empty, "no configuration")]);
        }

        return configuration;
    }

    private static SyncConfiguration? Read(ConfigurationSources sources, Func<string, string?> environment, List<ConfigurationError> errors)
    {
        if (sources.ConfigFile is not null && (sources.AuthFile is not null || sources.ImagesFile is not null))
        {
            errors.Add(new ConfigurationError("(arguments)", "--config", "give --config, or --auth with --images, not both"));
            return null;
        }

        if (sources.ConfigFile is { } configFile)
        {
            var root = ConfigDocument.Load(configFile, errors);
            if (root is null)
            {
                if (errors.Count == 0)
                {
                    errors.Add(new ConfigurationError(configFile, string.Empty, "is empty"));
                }

                return null;
            }

            if (root is not JsonObject obj)
            {
                errors.Add(new ConfigurationError(configFile, string.Empty, "must be a map at the top level"));
                return null;
            }

            if (obj.Any(p => NativeConfigReader.TopLevelKeys.Contains(p.Key)))
            {
                var native = new ConfigReader(configFile, errors, EnvironmentExpander.Native(environment));
                return NativeConfigReader.Read(native, obj, sources.Defaults);
            }

            var reader = new ConfigReader(configFile, errors, EnvironmentExpander.ImageSyncer(environment));
            reader.AllowOnly(obj, string.Empty, "auth", "images");
            var endpoints = ImageSyncerConfigReader.ReadAuth(reader, reader.Object(obj["auth"], "auth"));
            var rules = ImageSyncerConfigReader.ReadImages(reader, reader.Object(obj["images"], "images"), sources.Defaults);
            return new SyncConfiguration { Registries = endpoints, Rules = rules };
        }

        if (sources.ImagesFile is null)
        {
            errors.Add(new ConfigurationError("(arguments)", "--config", "give --config FILE, or --images FILE (with --auth FILE for credentials)"));
            return null;
        }

        var imagesRoot = ConfigDocument.Load(sources.ImagesFile, errors);
        var imagesReader = new ConfigReader(sources.ImagesFile, errors, EnvironmentExpander.ImageSyncer(environment));
        var images = imagesRoot is null ? null : imagesReader.Object(imagesRoot, string.Empty);
        IReadOnlyList<Registry.Transport.RegistryEndpoint> authEndpoints = [];
        if (sources.AuthFile is not null)
        {
            var authRoot = ConfigDocument.Load(sources.AuthFile, errors);
            var authReader = new ConfigReader(sources.AuthFile, errors, EnvironmentExpander.ImageSyncer(environment));
            authEndpoints = ImageSyncerConfigReader.ReadAuth(authReader, authRoot is null ? null : authReader.Object(authRoot, string.Empty));
        }

        if (imagesRoot is null)
        {
            return null;
        }

        var imageRules = ImageSyncerConfigReader.ReadImages(imagesReader, images, sources.Defaults);
        return new SyncConfiguration { Registries = authEndpoints, Rules = imageRules };
    }
}
