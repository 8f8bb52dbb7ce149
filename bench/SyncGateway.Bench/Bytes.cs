using System.Globalization;
using System.Text.RegularExpressions;

namespace SyncGateway.Bench;

/// <summary>Reads the byte counts a syncgateway summary prints.</summary>
internal static partial class Bytes
{
    /// <summary>The GiB of "copied N (X MiB)" in a summary's "Blobs:" line; 0 when there is none.</summary>
    public static double CopiedGiB(string blobsLine)
    {
        var match = Copied().Match(blobsLine);
        if (!match.Success)
        {
            return 0;
        }

        var value = double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        var unit = match.Groups["unit"].Value switch
        {
            "B" => 1d,
            "KiB" => 1 << 10,
            "MiB" => 1 << 20,
            "GiB" => 1 << 30,
            _ => 1L << 40,
        };
        return value * unit / (1L << 30);
    }

    [GeneratedRegex(@"copied \d+ \((?<value>[0-9.]+) (?<unit>B|KiB|MiB|GiB|TiB)\)", RegexOptions.CultureInvariant)]
    private static partial Regex Copied();
}
