using System.Net;
using System.Text;
using System.Text.Json;

namespace SyncGateway.Gateway.Tests.Daemon;

/// <summary>Sends distribution push notifications to a running daemon, as a registry would.</summary>
internal static class Webhook
{
    /// <summary>Posts one push event and returns how many copies the daemon says it queued.</summary>
    public static async Task<int> PushAsync(Uri daemon, string repository, string tag, string secret = "test-secret", string scheme = "Bearer")
    {
        using var http = new HttpClient { BaseAddress = daemon };
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/webhooks/distribution")
        {
            Content = new StringContent($$$"""{"events": [{"action": "push", "target": {"repository": "{{{repository}}}", "tag": "{{{tag}}}"} }]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", $"{scheme} {secret}");
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"the webhook answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("queued").GetInt32();
    }

    public static async Task<JsonElement> StatusAsync(Uri daemon)
    {
        using var http = new HttpClient { BaseAddress = daemon };
        return JsonDocument.Parse(await http.GetStringAsync("api/status")).RootElement;
    }
}
