namespace SyncGateway.Gateway.Tests.Proxy;

internal static class Wait
{
    /// <summary>
    /// Polls until <paramref name="condition"/> holds, for at most <paramref name="seconds"/>. A
    /// condition that throws counts as not yet, but for the last try: distribution's filesystem
    /// storage rewrites a tag's link file in place, so a HEAD that meets the rewrite of the tag it
    /// polls gets a 500, which is a moment of the registry and not the outcome being waited for.
    /// </summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, int seconds = 30)
    {
        var tries = seconds * 10;
        for (var i = 1; i <= tries; i++)
        {
            try
            {
                if (await condition())
                {
                    return true;
                }
            }
            catch (Exception) when (i < tries)
            {
                // not yet; the last try lets its exception out
            }

            await Task.Delay(100);
        }

        return false;
    }
}
