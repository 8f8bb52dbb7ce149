using SyncGateway.Registry.Streams;

namespace SyncGateway.Testing;

/// <summary>Deterministic pseudo-random bytes of a given length, made as they are read.</summary>
public sealed class GeneratedStream(long length, int seed) : ReadOnlyStream
{
    private readonly Random _random = new(seed);
    private long _position;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var count = (int)Math.Min(buffer.Length, length - _position);
        _random.NextBytes(buffer[..count]);
        _position += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

}
