using System.Text;

namespace SyncGateway.Testing;

/// <summary>A write-only stream that keeps what is written to it as text, for a container's output.</summary>
internal sealed class LineSink : Stream
{
    private readonly StringBuilder _text = new();
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_text)
        {
            Span<char> chars = stackalloc char[Encoding.UTF8.GetMaxCharCount(Math.Min(buffer.Length, 1024))];
            while (!buffer.IsEmpty)
            {
                var chunk = buffer[..Math.Min(buffer.Length, 1024)];
                var count = _decoder.GetChars(chunk, chars, flush: false);
                _text.Append(chars[..count]);
                buffer = buffer[chunk.Length..];
            }
        }
    }

    public override void Flush()
    {
        // nothing is buffered
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
