using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SyncGateway.Gateway.Cli;
using SyncGateway.Gateway.Proxy;
using SyncGateway.Gateway.Replication;
using SyncGateway.Gateway.Status;
using SyncGateway.Gateway.Webhooks;

namespace SyncGateway.Gateway.Json;

/// <summary>
/// Every type the gateway writes as JSON, with its serializer generated at build time, so that
/// nothing depends on reflection-based serialization (which a Native AOT publish turns off).
/// The web defaults are the options that <c>Results.Json</c> and <c>JsonContent</c> used before:
/// camelCase property names (the records are named for their camelCase wire form, so the CLI's
/// files come out as they did with the anonymous types) and lenient reading; dictionary keys,
/// nulls and escaping are as with the default options.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(OciErrorBody))]
[JsonSerializable(typeof(ReadinessDocument))]
[JsonSerializable(typeof(StatusDocument))]
[JsonSerializable(typeof(WebhookAccepted))]
[JsonSerializable(typeof(NotificationEnvelope))]
[JsonSerializable(typeof(VerifyJsonReport))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext
{
    /// <summary>The same types, written indented (the CLI's JSON files and reports).</summary>
    public static GatewayJsonContext Indented { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });

    /// <summary>
    /// The same types for <c>Results.Json</c> answers, with the options ASP.NET Core's
    /// <c>Microsoft.AspNetCore.Http.Json.JsonOptions</c> default to: the web defaults and the
    /// relaxed escaping (<c>&lt;</c>, <c>'</c> and <c>+</c> as they are), since the body goes
    /// straight to the client and is never embedded in HTML.
    /// </summary>
    public static GatewayJsonContext Http { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
