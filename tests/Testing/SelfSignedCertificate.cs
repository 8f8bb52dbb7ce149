using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SyncGateway.Testing;

/// <summary>A certificate for 127.0.0.1 that signs itself, for a registry that speaks HTTPS in a test.</summary>
internal static class SelfSignedCertificate
{
    /// <summary>Writes <c>tls.crt</c> and <c>tls.key</c> (PEM) into <paramref name="folder"/>; returns the registry's <c>http.tls</c> section.</summary>
    public static async Task<string> WriteAsync(string folder)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var crt = Path.Combine(folder, "tls.crt");
        var pem = Path.Combine(folder, "tls.key");
        await File.WriteAllTextAsync(crt, certificate.ExportCertificatePem()).ConfigureAwait(false);
        await File.WriteAllTextAsync(pem, key.ExportPkcs8PrivateKeyPem()).ConfigureAwait(false);
        return $"  tls:\n    certificate: {crt}\n    key: {pem}";
    }
}
