using System.Net.Http.Headers;

namespace SyncGateway.Registry.Auth;

/// <summary>A <c>WWW-Authenticate</c> challenge: the scheme and its parameters (realm, service, scope).</summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);

    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    public string? Realm => Parameters.GetValueOrDefault("realm");

    public string? Service => Parameters.GetValueOrDefault("service");

    /// <summary>Picks the challenge to answer: Bearer before Basic, anything else ignored.</summary>
    public static AuthChallenge? From(HttpHeaderValueCollection<AuthenticationHeaderValue> headers)
    {
        AuthChallenge? basic = null;
        foreach (var header in headers)
        {
            var challenge = Parse(header.Scheme, header.Parameter);
            if (challenge.IsBearer)
            {
                return challenge;
            }

            basic ??= challenge.IsBasic ? challenge : null;
        }

        return basic;
    }

    /// <summary>Parses the parameter list of a challenge: <c>key="quoted, value",key2=token</c>.</summary>
    public static AuthChallenge Parse(string scheme, string? parameters)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var text = parameters ?? string.Empty;
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i])))
            {
                i++;
            }

            var keyStart = i;
            while (i < text.Length && text[i] != '=' && text[i] != ',')
            {
                i++;
            }

            var key = text[keyStart..i].Trim();
            if (i >= text.Length || text[i] != '=')
            {
                continue;
            }

            i++;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                i++;
                var builder = new System.Text.StringBuilder();
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                    }

                    builder.Append(text[i++]);
                }

                i++;
                value = builder.ToString();
            }
            else
            {
                var valueStart = i;
                while (i < text.Length && text[i] != ',')
                {
                    i++;
                }

                value = text[valueStart..i].Trim();
            }

            if (key.Length > 0)
            {
                values[key] = value;
            }
        }

        return new AuthChallenge(scheme, values);
    }
}
