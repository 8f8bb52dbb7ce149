namespace SyncGateway.Gateway.Webhooks;

/// <summary>A webhook's answer: how many pushed images the envelope named and how many copies were queued.</summary>
internal sealed record WebhookAccepted(int Images, int Queued);
