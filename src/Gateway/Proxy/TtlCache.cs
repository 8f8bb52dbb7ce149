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

    /// <summary>Adds the entry unless a live one is there; true for the one caller that added it.</summary>
    public bool TryAdd(TKey key, TValue value, TimeSpan lifetime)
    {
        MakeRoom();
        var now = time.GetUtcNow();
        var fresh = (value, now + lifetime);
        while (true)
        {
            if (_entries.TryAdd(key, fresh))
            {
                return true;
            }

            if (!_entries.TryGetValue(key, out var existing))
            {
                continue;
            }

            if (existing.Expires > now)
            {
                return false;
            }

            if (_entries.TryUpdate(key, fresh, existing))
            {
                return true;
            }
        }
    }

    public void Set(TKey key, TValue value, TimeSpan lifetime)
    {
        MakeRoom();
        _entries[key] = (value, time.GetUtcNow() + lifetime);
    }

    private void MakeRoom()
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
    }
}
