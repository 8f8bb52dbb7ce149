using System.Text.Json.Nodes;
using SyncGateway.Gateway.Proxy;

namespace SyncGateway.Gateway.Tests.Proxy;

/// <summary>A whole tag list, as a registry that ignores <c>?n=</c> gives it, paged by the gateway.</summary>
public sealed class TagPagesTests
{
    [Fact]
    public void Cut_AWholeList_GivesThePageAfterLast_InLexicalOrder_WithALinkToTheNext()
    {
        var list = (JsonObject)JsonNode.Parse("""{"name":"team/app","tags":["latest","1.0","2.0","1.2","1.1","2.1"]}""")!;

        var link = TagPages.Cut(GatewayLinksTests.Request("/v2/hub/team/app/tags/list?n=2&last=1.1"), list, 2, "hub/team/app");

        Assert.Equal(["1.2", "2.0"], list["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal("<http://gateway.example.com:5000/v2/hub/team/app/tags/list?n=2&last=2.0>; rel=\"next\"", link);
    }

    [Fact]
    public void Cut_TheLastPage_HasNoLink()
    {
        var list = (JsonObject)JsonNode.Parse("""{"name":"team/app","tags":["latest","1.0","2.0"]}""")!;

        var link = TagPages.Cut(GatewayLinksTests.Request("/v2/team/app/tags/list?n=2&last=1.0"), list, 2, "team/app");

        Assert.Equal(["2.0", "latest"], list["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Null(link);
    }
}
