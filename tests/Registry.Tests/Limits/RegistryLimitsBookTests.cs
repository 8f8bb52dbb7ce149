using SyncGateway.Registry.Limits;

namespace SyncGateway.Registry.Tests.Limits;

public sealed class RegistryLimitsBookTests
{
    [Fact]
    public void ARegistrysLimits_OutliveAReload_WhileItsSettingsStay_AndAreNewWhenTheyChange()
    {
        var book = new RegistryLimitsBook(TimeProvider.System);

        var first = book.For("registry.example.com", 8, null, null);
        var reloaded = book.For("REGISTRY.example.com", 8, null, null);
        var changed = book.For("registry.example.com", 16, null, null);

        Assert.Same(first, reloaded);
        Assert.NotSame(first, changed);
        Assert.Equal(16, changed.ConcurrencyLimit);
    }
}
