using System.Text;

namespace SyncGateway.Replicator.Configuration;

/// <summary>
/// Expands <c>${VAR}</c> from the environment. A <c>$</c> not followed by <c>{</c> stays as it is, so
/// Harbor's <c>robot$name</c> accounts survive; in the native file <c>$$</c> is a literal <c>$</c>
/// (image-syncer files keep <c>$$</c> as written).
/// </summary>
internal sealed class EnvironmentExpander(Func<string, string?> lookup, bool doubleDollarIsLiteral)
{
    public static EnvironmentExpander Native(Func<string, string?> lookup) => new(lookup, doubleDollarIsLiteral: true);

    public static EnvironmentExpander ImageSyncer(Func<string, string?> lookup) => new(lookup, doubleDollarIsLiteral: false);

    /// <summary>Expands <paramref name="value"/>; returns null and names the variable when one is not set.</summary>
    public string? Expand(string value, out string? missing)
    {
        missing = null;
        if (!value.Contains('$', StringComparison.Ordinal))
        {
            return value;
        }

        var result = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c != '$' || i + 1 >= value.Length)
            {
                result.Append(c);
                continue;
            }

            var next = value[i + 1];
            if (next == '$' && doubleDollarIsLiteral)
            {
                result.Append('$');
                i++;
            }
            else if (next == '{')
            {
                var close = value.IndexOf('}', i + 2);
                if (close < 0)
                {
                    result.Append(c);
                    continue;
                }

                var name = value[(i + 2)..close];
                var resolved = lookup(name);
                if (resolved is null)
                {
                    missing = name;
                    return null;
                }

                result.Append(resolved);
                i = close;
            }
            else
            {
                result.Append(c);
            }
        }

        return result.ToString();
    }
}
