using System.Collections.Concurrent;

namespace SyncGateway.Gateway.Proxy;

/// <summary>A small map whose entries expire after a time, on the injected clock.</summary>
internal sealed class TtlCache<TKey, TValue>(TimeProvider time, int capacity = 100_000)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, (TValue Value, DateTimeOffset Expires)> _entries = new();

    public bool TryGet(TKey key, out TValue value)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.Expires > time.GetUtcNow())
        {
            value = entry.Value;
            return true;
        }

        value = default!;
        return false;
    }

    public void Set(TKey key, TValue value, TimeSpan lifetime)
    {
        if (_entries.Count >= capacity)
        {
            var now = time.GetUtcNow();
            foreach (var stale in _entries.Where(e => e.Value.Expires <= now).Select(e => e.Key).ToList())
            {
                _entries.TryRemove(stale, out _);
            }

            if (_entries.Count >= capacity)
            {
                _entries.Clear();
            }
        }

        _entries[key] = (value, time.GetUtcNow() + lifetime);
    }
}
