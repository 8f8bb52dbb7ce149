using System.Globalization;

namespace SyncGateway.Replicator.Configuration;

/// <summary>Durations as operators write them: <c>30s</c>, <c>5m</c>, <c>1h</c>, <c>0</c>, or .NET <c>hh:mm:ss</c>.</summary>
public static class Duration
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        text = text.Trim();
        if (text == "0")
        {
            return true;
        }

        if (text.Length >= 2 && char.IsAsciiDigit(text[0]))
        {
            var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], "ms") : (text[..^1], text[^1..]);
            if (double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                TimeSpan? parsed = unit switch
                {
                    "ms" => TimeSpan.FromMilliseconds(amount),
                    "s" => TimeSpan.FromSeconds(amount),
                    "m" => TimeSpan.FromMinutes(amount),
                    "h" => TimeSpan.FromHours(amount),
                    "d" => TimeSpan.FromDays(amount),
                    _ => null,
                };
                if (parsed is { } ok)
                {
                    value = ok;
                    return true;
                }
            }
        }

        return TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
    }
}
