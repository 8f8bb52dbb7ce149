namespace SyncGateway.Gateway.Tests.Proxy;

internal static class Wait
{
    /// <summary>Polls until <paramref name="condition"/> holds, for at most <paramref name="seconds"/>.</summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, int seconds = 30)
    {
        for (var i = 0; i < seconds * 10; i++)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }
}
