using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using SyncGateway.Replicator.Configuration;

namespace SyncGateway.Gateway.Proxy;

/// <summary>
/// Who may use the gateway. <c>passthrough</c>: the client's credentials go to the source, which
/// decides. <c>basic</c>: users of an htpasswd file (bcrypt) log in to the gateway itself, which
/// then uses its own credentials upstream. <c>anonymous</c>: anyone, with the gateway's own
/// credentials upstream (an explicit opt-in for trusted networks).
/// </summary>
internal sealed class GatewayAuth
{
    private static readonly TimeSpan VerifiedLifetime = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, string> _users;
    private readonly TtlCache<string, bool> _verified;

    public GatewayAuth(GatewayAuthMode mode, string? htpasswd, TimeProvider time)
    {
        Mode = mode;
        _verified = new TtlCache<string, bool>(time);
        _users = mode == GatewayAuthMode.Basic ? ReadHtpasswd(htpasswd!) : [];
    }

    public GatewayAuthMode Mode { get; }

    /// <summary>Whose credentials requests to the source carry.</summary>
    public UpstreamCredentials SourceCredentials => Mode == GatewayAuthMode.Passthrough ? UpstreamCredentials.Client : UpstreamCredentials.Service;

    /// <summary>In basic mode, whether the request carries the password of a known user.</summary>
    /// <remarks>
    /// A bcrypt check (tens of milliseconds) runs on the thread pool, never on the thread that
    /// read the request, which in the gateway role is a socket engine's (see <c>EventLoop</c>).
    /// </remarks>
    public async ValueTask<bool> AdmitsAsync(HttpContext context)
    {
        if (Mode != GatewayAuthMode.Basic)
        {
            return true;
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(header)));
        if (_verified.TryGet(key, out var known))
        {
            return known;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        var admitted = colon > 0
            && _users.TryGetValue(decoded[..colon], out var hash)
            && await Task.Run(() => BCrypt.Net.BCrypt.Verify(decoded[(colon + 1)..], hash), context.RequestAborted).ConfigureAwait(false);
        _verified.Set(key, admitted, VerifiedLifetime);
        return admitted;
    }

    public static Task ChallengeAsync(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"syncgateway\"";
        return OciError.WriteAsync(context, Registry.Errors.RegistryErrorCode.Unauthorized, "log in to the gateway");
    }

    /// <summary>Reads <c>user:bcrypt-hash</c> lines; anything but bcrypt is refused, so no weak hash is ever accepted.</summary>
    public static Dictionary<string, string> ReadHtpasswd(string path)
    {
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var hash = colon > 0 ? line[(colon + 1)..].Trim() : string.Empty;
            if (!(hash.StartsWith("$2y$", StringComparison.Ordinal) || hash.StartsWith("$2a$", StringComparison.Ordinal) || hash.StartsWith("$2b$", StringComparison.Ordinal)))
            {
                throw new InvalidDataException($"{path}:{number}: not a 'user:bcrypt-hash' line (create it with htpasswd -B)");
            }

            users[line[..colon]] = hash;
        }

        return users;
    }
}
