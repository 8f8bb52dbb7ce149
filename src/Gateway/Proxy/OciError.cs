using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SyncGateway.Gateway.Json;
using SyncGateway.Registry.Errors;

namespace SyncGateway.Gateway.Proxy;

/// <summary>Writes the OCI error body <c>{"errors":[{"code","message","detail"}]}</c> with the code's status.</summary>
internal static class OciError
{
    public static Task WriteAsync(HttpContext context, RegistryErrorCode code, string detail, HttpStatusCode? status = null)
    {
        context.Response.StatusCode = (int)(status ?? code.Status);
        context.Response.ContentType = "application/json";
        context.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        var body = JsonSerializer.SerializeToUtf8Bytes(OciErrorBody.Of(code.Code, code.Description, detail), GatewayJsonContext.Default.OciErrorBody);
        context.Response.ContentLength = body.Length;
        return context.Request.Method == HttpMethods.Head ? Task.CompletedTask : context.Response.Body.WriteAsync(body).AsTask();
    }
}
