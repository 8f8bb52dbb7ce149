namespace SyncGateway.Gateway.Proxy;

/// <summary>The OCI error body <c>{"errors":[{"code","message","detail"}]}</c>.</summary>
internal sealed record OciErrorBody(IReadOnlyList<OciErrorBody.Entry> Errors)
{
    /// <summary>A body with one error.</summary>
    public static OciErrorBody Of(string code, string message, string? detail) => new([new Entry(code, message, detail)]);

    /// <summary>One error of the body.</summary>
    internal sealed record Entry(string Code, string Message, string? Detail);
}
