using System.Text.Json;

namespace SyncGateway.Registry.Auth;

/// <summary>
/// A docker credential helper (<c>credsStore</c>, <c>credHelpers</c> in <c>config.json</c>), asked
/// as docker asks it: <c>docker-credential-NAME get</c> with the registry's address on standard
/// input, answered with <c>{"ServerURL", "Username", "Secret"}</c>. A <c>Username</c> of
/// <c>&lt;token&gt;</c> makes the secret an identity token. A helper that says it holds nothing
/// for the registry ("credentials not found") means no login, as for docker.
/// </summary>
public static class CredentialHelper
{
    /// <summary>The credential source that asks helper <paramref name="name"/> about <paramref name="registry"/>.</summary>
    /// <param name="name">The helper's name: <c>docker-credential-</c> and this is the program.</param>
    /// <param name="registry">The registry host as images name it (<c>docker.io</c> for Docker Hub).</param>
    public static ExternalCredentials Create(string name, string registry)
    {
        var program = "docker-credential-" + name;
        var what = $"the credential helper {program}";

        // docker keeps Docker Hub's logins under its v1 address, every other one under the host.
        var serverUrl = registry == "docker.io" ? "https://index.docker.io/v1/" : registry;
        return new ExternalCredentials(async ct =>
        {
            string output;
            try
            {
                output = await CredentialProcess.RunAsync(what, registry, program, ["get"], serverUrl + "\n", outputExplainsFailure: true, ct).ConfigureAwait(false);
            }
            catch (Errors.RegistryException ex) when (ex.Message.Contains("credentials not found", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            return Parse(output, what, registry);
        });
    }

    private static RegistryCredentials Parse(string output, string what, string registry)
    {
        try
        {
            using var document = JsonDocument.Parse(output);
            var root = document.RootElement;
            var username = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("Username", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
            var secret = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("Secret", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            if (string.IsNullOrEmpty(secret))
            {
                throw CredentialProcess.Fail(what, registry, "answered without a Secret");
            }

            return username == "<token>"
                ? new RegistryCredentials(username, secret) { IsIdentityToken = true }
                : new RegistryCredentials(username ?? string.Empty, secret);
        }
        catch (JsonException)
        {
            throw CredentialProcess.Fail(what, registry, "answered with something that is not its JSON ({\"Username\": ..., \"Secret\": ...})");
        }
    }
}
