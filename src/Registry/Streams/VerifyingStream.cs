using System.Security.Cryptography;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Registry.Streams;

/// <summary>
/// A read-only stream over blob content that hashes and counts every byte as it passes. The last
/// bytes are released only once the whole content matched its descriptor, so a consumer that
/// forwards them (an upload) never sends a complete body for content that is wrong.
/// </summary>
public sealed class VerifyingStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly Descriptor _expected;
    private readonly IncrementalHash _hash;
    private readonly bool _leaveOpen;
    private long _position;
    private bool _verified;

    public VerifyingStream(Stream inner, Descriptor expected, bool leaveOpen = false)
        : this(inner, expected, IncrementalHash.CreateHash(expected.Digest.HashAlgorithm), 0, leaveOpen)
    {
    }

    /// <summary>
    /// Continues a verification that stopped at <paramref name="position"/> with the hash of the bytes
    /// before it (<see cref="Checkpoint"/>): an upload resumed from there reads the rest of the content.
    /// The stream owns <paramref name="state"/>.
    /// </summary>
    internal VerifyingStream(Stream inner, Descriptor expected, IncrementalHash state, long position, bool leaveOpen = false)
    {
        _inner = inner;
        _expected = expected;
        _leaveOpen = leaveOpen;
        _hash = state;
        _position = position;
    }

    /// <summary>The hash of every byte read so far, to continue from this position later.</summary>
    internal (long Position, IncrementalHash State) Checkpoint() => (_position, _hash.Clone());

    public override long Length => _expected.Size;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = _inner.Read(LimitToExpected(buffer));
        return Account(buffer[..read]);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _inner.ReadAsync(LimitToExpected(buffer), cancellationToken).ConfigureAwait(false);
        return Account(buffer.Span[..read]);
    }

    private Span<byte> LimitToExpected(Span<byte> buffer) => buffer[..LimitLength(buffer.Length)];

    private Memory<byte> LimitToExpected(Memory<byte> buffer) => buffer[..LimitLength(buffer.Length)];

    // Ask for one byte past the expected size at most, so content that is too long is noticed.
    private int LimitLength(int length) => (int)Math.Min(length, Math.Max(1, _expected.Size - _position + 1));

    private int Account(ReadOnlySpan<byte> read)
    {
        if (read.IsEmpty)
        {
            if (!_verified && _position == _expected.Size)
            {
                Verify();
            }

            return _verified
                ? 0
                : throw new DigestMismatchException(_expected.Digest, $"blob {_expected.Digest} ended after {_position} of {_expected.Size} bytes");
        }

        _position += read.Length;
        if (_position > _expected.Size)
        {
            throw new DigestMismatchException(_expected.Digest, $"blob {_expected.Digest} is longer than its {_expected.Size} bytes");
        }

        _hash.AppendData(read);
        if (_position == _expected.Size)
        {
            Verify();
        }

        return read.Length;
    }

    private void Verify()
    {
        var actual = Digest.FromHash(_expected.Digest.HashAlgorithm, _hash.GetHashAndReset());
        if (actual != _expected.Digest)
        {
            throw new DigestMismatchException(_expected.Digest, $"blob content hashes to {actual}, not {_expected.Digest}");
        }

        _verified = true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!_leaveOpen)
            {
                _inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
