using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace SyncGateway.Registry.Transport;

/// <summary>
/// Builds the outbound HTTP stack for registries: no automatic redirects (the client decides where
/// credentials may go), no decompression (blob bytes are hashed as served), no cookies. Proxies as
/// an operator sets them: the registry's own <c>proxy</c>, else <c>HTTPS_PROXY</c>, <c>HTTP_PROXY</c>
/// and <c>NO_PROXY</c> (plain HTTP goes through the proxy as absolute-form requests, HTTPS through
/// a CONNECT tunnel).
/// </summary>
internal static class RegistryHttp
{
    /// <summary>The connection pool for one endpoint, at the bottom of its pipeline.</summary>
    public static SocketsHttpHandler CreateHandler(RegistryEndpoint endpoint)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = true,
            Proxy = endpoint.Proxy is { } proxy ? new WebProxy(proxy) { BypassProxyOnLocal = false } : null,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            EnableMultipleHttp2Connections = true,
        };

        if (endpoint.Insecure)
        {
            // Unverified TLS for the registry itself only: its token realm or storage elsewhere is checked as usual.
            var registryHost = new Uri($"https://{endpoint.ApiHost}/").Host;
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (sender, _, _, errors) =>
                    errors == SslPolicyErrors.None
                    || (sender is SslStream stream && string.Equals(stream.TargetHostName, registryHost, StringComparison.OrdinalIgnoreCase)),
            };
        }
        else if (endpoint.CaFile is { } caFile)
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(caFile);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) => ValidateWithAuthorities(certificate, errors, authorities),
            };
        }

        return handler;
    }

    private static bool ValidateWithAuthorities(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection authorities)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
