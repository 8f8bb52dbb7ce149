using SyncGateway.Registry.Streams;

namespace SyncGateway.Replicator.Copying;

/// <summary>A shared read's branches: each upload's own stream over it (<see cref="BlobFanOut"/>).</summary>
internal sealed partial class BlobFanOut
{
    /// <summary>What one upload reads: the shared bytes, or, once cut loose, a source read of its own.</summary>
    internal sealed class Branch(BlobFanOut owner) : ReadOnlyStream
    {
        private int _offset;
        private long _position;
        private Stream? _alone;
        private bool _disposed;

        /// <summary>Still reading the shared bytes (under the owner's gate).</summary>
        internal bool Shared { get; set; } = true;

        /// <summary>Cut loose for stalling: reads the source alone from its position (under the owner's gate).</summary>
        internal bool Alone { get; set; }

        /// <summary>The shared buffer this branch reads now (under the owner's gate).</summary>
        internal long Sequence { get; private set; }

        /// <summary>Handed to an upload already (a second open of the same branch reads alone).</summary>
        public bool Taken { get; set; }

        public override long Length => owner._length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (buffer.IsEmpty)
            {
                return 0;
            }

            while (true)
            {
                if (_alone is not null)
                {
                    var alone = await _alone.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                    _position += alone;
                    return alone;
                }

                Task changed;
                lock (owner._gate)
                {
                    var index = Sequence - owner._first;
                    if (Alone)
                    {
                        changed = Task.CompletedTask;
                    }
                    else if (index < owner._chunks.Count)
                    {
                        // Copied under the gate: a branch cut loose meanwhile must not read a buffer given back.
                        var chunk = owner._chunks[(int)index];
                        var count = Math.Min(buffer.Length, chunk.Length - _offset);
                        chunk.Buffer.AsSpan(_offset, count).CopyTo(buffer.Span);
                        _offset += count;
                        _position += count;
                        if (_offset == chunk.Length)
                        {
                            _offset = 0;
                            Sequence++;
                            owner.Release(chunk);
                        }

                        return count;
                    }
                    else if (owner._failed is { } failed)
                    {
                        throw new IOException("reading the blob from the source failed: " + failed.Message, failed);
                    }
                    else if (owner._ended)
                    {
                        return 0;
                    }
                    else
                    {
                        owner.StartPump();
                        changed = owner._changed.Task;
                    }
                }

                if (Alone)
                {
                    _alone = await owner._open(_position, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed)
            {
                _disposed = true;
                lock (owner._gate)
                {
                    owner.Leave(this);
                }

                _alone?.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
