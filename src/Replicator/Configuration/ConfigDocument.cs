using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SyncGateway.Replicator.Configuration;

/// <summary>
/// Reads a configuration file, JSON or YAML by its extension, into one tree shape so that both
/// formats are checked by the same code. YAML scalars stay strings; readers convert them.
/// </summary>
internal static class ConfigDocument
{
    public static JsonNode? Load(string path, List<ConfigurationError> errors)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add(new ConfigurationError(path, string.Empty, $"cannot be read: {ex.Message}"));
            return null;
        }

        var extension = Path.GetExtension(path).ToLowerInvariant();
        return extension switch
        {
            ".json" => ParseJson(path, text, errors),
            ".yaml" or ".yml" => ParseYaml(path, text, errors),
            _ => Unsupported(path, errors),
        };
    }

    private static JsonNode? Unsupported(string path, List<ConfigurationError> errors)
    {
        errors.Add(new ConfigurationError(path, string.Empty, "unknown file type: the name must end in .json, .yaml or .yml"));
        return null;
    }

    private static JsonNode? ParseJson(string path, string text, List<ConfigurationError> errors)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            errors.Add(new ConfigurationError(path, string.Empty, $"is not valid JSON: {ex.Message}"));
            return null;
        }
    }

    private static JsonNode? ParseYaml(string path, string text, List<ConfigurationError> errors)
    {
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode);
        }
        catch (YamlException ex)
        {
            errors.Add(new ConfigurationError(path, string.Empty, $"is not valid YAML (line {ex.Start.Line}, column {ex.Start.Column}): {ex.InnerException?.Message ?? ex.Message}"));
            return null;
        }
        catch (ArgumentException ex)
        {
            errors.Add(new ConfigurationError(path, string.Empty, $"is not valid YAML: {ex.Message}"));
            return null;
        }
    }

    private static JsonNode? Convert(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JsonObject();
                foreach (var (key, value) in mapping.Children)
                {
                    var name = key is YamlScalarNode scalarKey ? scalarKey.Value ?? string.Empty : key.ToString();
                    if (obj.ContainsKey(name))
                    {
                        throw new ArgumentException($"the key '{name}' appears twice (line {key.Start.Line})");
                    }

                    obj[name] = Convert(value);
                }

                return obj;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                foreach (var item in sequence.Children)
                {
                    array.Add(Convert(item));
                }

                return array;
            case YamlScalarNode scalar:
                // An unquoted ~, null or empty value is YAML's null.
                if (scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null")
                {
                    return null;
                }

                return JsonValue.Create(scalar.Value ?? string.Empty);
            default:
                return null;
        }
    }
}
