namespace SyncGateway.Replicator.Telemetry;

/// <summary>What happened to one referrer (a signature, an SBOM, an attestation) of a copied image.</summary>
public enum ReferrerAction
{
    Copied,
    Present,
}
