using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SyncGateway.Testing;

/// <summary>
/// A token service of the Docker registry token protocol, for registries started with
/// <see cref="RegistryProcess.StartWithTokenAuthAsync"/>: <c>GET /token?service=S&amp;scope=repository:NAME:ACTIONS</c>
/// (scopes repeated or space separated), Basic login or anonymous, answered with an RS256 JWT
/// whose <c>x5c</c> header carries a self-signed certificate of the key; the registry trusts that
/// certificate through <see cref="CertificateBundle"/>. Each test sets who may log in, what each
/// user may do to each repository, and how long tokens live, and reads back every token given out.
/// </summary>
public sealed class TokenIssuer : IAsyncDisposable
{
    /// <summary>The <c>iss</c> claim, which the registry's <c>auth.token.issuer</c> names.</summary>
    public const string Name = "syncgateway-test-issuer";

    // distribution accepts a token up to 60 s past its exp and before its nbf (clock skew). exp is
    // set that much earlier, so the registry refuses a token when expires_in says it has ended.
    private static readonly TimeSpan RegistryLeeway = TimeSpan.FromSeconds(60);

    private readonly WebApplication _app;
    private readonly RSA _key;
    private readonly string _certificate;
    private long _lifetimeTicks = TimeSpan.FromMinutes(5).Ticks;
    private int _refusedLogins;

    private TokenIssuer(WebApplication app, RSA key, string certificate, string folder, int port)
    {
        _app = app;
        _key = key;
        _certificate = certificate;
        Folder = folder;
        Port = port;
    }

    public int Port { get; }

    public string Host => $"127.0.0.1:{Port}";

    /// <summary>The token endpoint, the registry's <c>auth.token.realm</c>.</summary>
    public Uri Realm => new($"http://{Host}/token");

    /// <summary>The PEM file of the signing certificate, the registry's <c>auth.token.rootcertbundle</c>.</summary>
    public string CertificateBundle => Path.Combine(Folder, "issuer.pem");

    public string Folder { get; }

    /// <summary>Who may log in: user name to password.</summary>
    public ConcurrentDictionary<string, string> Users { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Identity tokens (OAuth2 refresh tokens, docker's <c>identitytoken</c>) to the user each logs in:
    /// a <c>POST /token</c> with <c>grant_type=refresh_token</c> and one of these gets an access token.
    /// </summary>
    public ConcurrentDictionary<string, string> RefreshTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether a request without a login gets a token (for the user null) instead of a 401.</summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>
    /// What a user (null: anonymous) may do to a repository; a token grants what was asked for and
    /// this allows ("*" allows everything). Unset, everything asked for is granted. Scopes of other
    /// resource types (<c>registry:catalog:*</c>) are granted as asked.
    /// </summary>
    public Func<string?, string, IReadOnlyCollection<string>>? Policy { get; set; }

    /// <summary>How long a token lives (<c>expires_in</c>); changed by a test between seeding and the run it watches.</summary>
    public TimeSpan Lifetime
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _lifetimeTicks));
        set => Interlocked.Exchange(ref _lifetimeTicks, value.Ticks);
    }

    /// <summary>Every token given out, in order.</summary>
    public ConcurrentQueue<TokenRequest> Issued { get; } = new();

    /// <summary>Requests refused for a wrong login, or for no login when anonymous access is off.</summary>
    public int RefusedLogins => Volatile.Read(ref _refusedLogins);

    public static async Task<TokenIssuer> StartAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync().ConfigureAwait(false);
            }
            catch (IOException) when (attempt < 5)
            {
                // the free port was taken before Kestrel bound it: try another
            }
        }
    }

    private static async Task<TokenIssuer> StartOnceAsync()
    {
        var folder = Directory.CreateTempSubdirectory("syncgateway-issuer-").FullName;
        var key = RSA.Create(2048);
        using var certificate = SelfSigned(key);
        await File.WriteAllTextAsync(Path.Combine(folder, "issuer.pem"), certificate.ExportCertificatePem() + "\n").ConfigureAwait(false);

        var port = RegistryProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var issuer = new TokenIssuer(app, key, Convert.ToBase64String(certificate.RawData), folder, port);
        app.MapGet("/token", issuer.HandleAsync);
        app.MapPost("/token", issuer.HandleRefreshAsync);
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await issuer.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return issuer;
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (!TryLogin(context.Request, out var user))
        {
            await RefuseAsync(context).ConfigureAwait(false);
            return;
        }

        await IssueAsync(context, user, context.Request.Query["scope"], context.Request.Query["service"]).ConfigureAwait(false);
    }

    // The OAuth2 form of the token protocol: POST grant_type=refresh_token&refresh_token=...&service=...&scope=...
    private async Task HandleRefreshAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync().ConfigureAwait(false);
        if (form["grant_type"] != "refresh_token" || !RefreshTokens.TryGetValue(form["refresh_token"].ToString(), out var user))
        {
            await RefuseAsync(context).ConfigureAwait(false);
            return;
        }

        await IssueAsync(context, user, form["scope"], form["service"]).ConfigureAwait(false);
    }

    private async Task RefuseAsync(HttpContext context)
    {
        Interlocked.Increment(ref _refusedLogins);
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{Name}\"";
        await context.Response.WriteAsJsonAsync(new { errors = new[] { new { code = "UNAUTHORIZED", message = "login refused" } } }).ConfigureAwait(false);
    }

    private async Task IssueAsync(HttpContext context, string? user, Microsoft.Extensions.Primitives.StringValues scopeValues, string? service)
    {
        var scopes = scopeValues
            .SelectMany(value => (value ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToList();
        var requested = new List<(string Type, string Name, string[] Actions)>();
        foreach (var scope in scopes)
        {
            if (Parse(scope) is not { } parsed)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsJsonAsync(new { errors = new[] { new { code = "INVALID_SCOPE", message = scope } } }).ConfigureAwait(false);
                return;
            }

            requested.Add(parsed);
        }

        var granted = Group(requested)
            .Select(r => (r.Type, r.Name, Actions: Allowed(user, r.Type, r.Name, r.Actions)))
            .Where(r => r.Actions.Length > 0)
            .ToList();
        var now = DateTimeOffset.UtcNow;
        var lifetime = Lifetime;
        var token = Sign(user, service ?? string.Empty, granted, now, lifetime);
        Issued.Enqueue(new TokenRequest(user, service, scopes, granted.Select(g => $"{g.Type}:{g.Name}:{string.Join(',', g.Actions)}").ToList(), now));
        await context.Response.WriteAsJsonAsync(new
        {
            token,
            access_token = token,
            expires_in = (int)Math.Ceiling(lifetime.TotalSeconds),
            issued_at = now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        }).ConfigureAwait(false);
    }

    private bool TryLogin(HttpRequest request, out string? user)
    {
        user = null;
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization.ToString(), out var header))
        {
            return AllowAnonymous;
        }

        if (!header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
        {
            return false;
        }

        string login;
        try
        {
            login = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
        }
        catch (FormatException)
        {
            return false;
        }

        var colon = login.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !Users.TryGetValue(login[..colon], out var password) || password != login[(colon + 1)..])
        {
            return false;
        }

        user = login[..colon];
        return true;
    }

    private string[] Allowed(string? user, string type, string name, string[] asked)
    {
        if (type != "repository" || Policy is not { } policy)
        {
            return asked;
        }

        var held = policy(user, name);
        return held.Contains("*") ? asked : asked.Where(held.Contains).ToArray();
    }

    /// <summary>Parses <c>type:name:actions</c>; the name is what lies between the first and the last colon.</summary>
    private static (string Type, string Name, string[] Actions)? Parse(string scope)
    {
        var first = scope.IndexOf(':', StringComparison.Ordinal);
        var last = scope.LastIndexOf(':');
        if (first <= 0 || last <= first + 1)
        {
            return null;
        }

        var actions = scope[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries);
        return actions.Length == 0 ? null : (scope[..first], scope[(first + 1)..last], actions);
    }

    // A repository named twice (a mount from the target itself asks pull,push and pull) is one access entry.
    private static List<(string Type, string Name, string[] Actions)> Group(IEnumerable<(string Type, string Name, string[] Actions)> scopes) =>
        scopes
            .GroupBy(s => (s.Type, s.Name))
            .Select(g => (g.Key.Type, g.Key.Name, g.SelectMany(s => s.Actions).Distinct(StringComparer.Ordinal).ToArray()))
            .ToList();

    private string Sign(string? user, string service, IEnumerable<(string Type, string Name, string[] Actions)> access, DateTimeOffset now, TimeSpan lifetime)
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(new { alg = "RS256", typ = "JWT", x5c = new[] { _certificate } });
        var issuedAt = now.ToUnixTimeSeconds();
        var claims = JsonSerializer.SerializeToUtf8Bytes(new
        {
            iss = Name,
            sub = user ?? string.Empty,
            aud = service,
            exp = (long)Math.Ceiling((now + lifetime - RegistryLeeway).ToUnixTimeMilliseconds() / 1000.0),
            nbf = issuedAt,
            iat = issuedAt,
            jti = Guid.NewGuid().ToString("N"),
            access = access.Select(a => new { type = a.Type, name = a.Name, actions = a.Actions }),
        });
        var signed = $"{Base64Url(header)}.{Base64Url(claims)}";
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{signed}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static X509Certificate2 SelfSigned(RSA key)
    {
        var request = new CertificateRequest($"CN={Name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: true));

        // A positive serial number: Go's x509 parser refuses negative ones.
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        var now = DateTimeOffset.UtcNow;
        using var generated = request.Create(request.SubjectName, X509SignatureGenerator.CreateForRSA(key, RSASignaturePadding.Pkcs1), now.AddDays(-1), now.AddDays(30), serial);
        return X509CertificateLoader.LoadCertificate(generated.RawData);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _key.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temp folder is harmless
        }
    }
}
