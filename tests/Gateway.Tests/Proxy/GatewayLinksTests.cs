using Microsoft.AspNetCore.Http;
using SyncGateway.Gateway.Proxy;

namespace SyncGateway.Gateway.Tests.Proxy;

/// <summary>
/// Next-page links as registries that page themselves send them (Harbor, Docker Hub and
/// distribution 3 send relative ones, some absolute ones at their own host), made into the
/// gateway's.
/// </summary>
public sealed class GatewayLinksTests
{
    private static readonly Uri Source = new("https://harbor.example.com/v2/");

    [Theory]
    [InlineData("</v2/team/app/tags/list?last=1.1&n=2>; rel=\"next\"")]
    [InlineData("<https://harbor.example.com/v2/team/app/tags/list?last=1.1&n=2>; rel=\"next\"")]
    public void Link_AtTheSource_PointsAtTheGateway_UnderThePrefix(string link)
    {
        var request = Request("/v2/hub/team/app/tags/list?n=2");

        var own = GatewayLinks.Link(request, Source, link, "hub/");

        Assert.Equal("<http://gateway.example.com:5000/v2/hub/team/app/tags/list?last=1.1&n=2>; rel=\"next\"", own);
    }

    [Fact]
    public void Link_ElsewhereThanTheUpstream_IsLeftAsItIs()
    {
        var link = "<https://elsewhere.example.com/v2/team/app/tags/list?last=1.1&n=2>; rel=\"next\"";

        Assert.Equal(link, GatewayLinks.Link(Request("/v2/team/app/tags/list?n=2"), Source, link, string.Empty));
    }

    [Fact]
    public void Link_FromTheMirror_NamesTheRepositoryAsTheClientDid_AndKeepsContainerdsNs()
    {
        var mirror = new Uri("https://acr.example.com/v2/");
        var request = Request("/v2/team/app/tags/list?n=2&ns=harbor.example.com");

        var own = GatewayLinks.Link(request, mirror, "</v2/mirror/app/tags/list?last=1.1&n=2>; rel=\"next\"", string.Empty, "mirror/app", "team/app");

        Assert.Equal("<http://gateway.example.com:5000/v2/team/app/tags/list?last=1.1&n=2&ns=harbor.example.com>; rel=\"next\"", own);
    }

    internal static HttpRequest Request(string pathAndQuery)
    {
        var context = new DefaultHttpContext();
        var query = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("gateway.example.com:5000");
        context.Request.Path = pathAndQuery[..query];
        context.Request.QueryString = new QueryString(pathAndQuery[query..]);
        return context.Request;
    }
}
