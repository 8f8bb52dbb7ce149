using System.Buffers;

namespace SyncGateway.Replicator.Copying;

/// <summary>
/// One read of a blob from the source, streamed to several uploads at once (read once, write many),
/// so the source's egress does not grow with the number of destinations. Each upload reads its own
/// <see cref="Branch"/>; the source is read a buffer at a time, and at most <see cref="Window"/>
/// buffers are held, so memory stays bounded whatever the blob's size.
/// A slow destination applies backpressure: the source is read no further ahead than the slowest
/// branch allows. A branch that stops reading for the stall time while the others wait is
/// cut loose: it goes on alone from where it was, through a source read of its own (a Range
/// request), and the others are no longer held. A branch whose upload fails is disposed and leaves;
/// the others go on. A source that fails fails every branch still reading from it.
/// </summary>
internal sealed partial class BlobFanOut
{
    /// <summary>Buffers held at most (the whole fan-out's memory: this times <see cref="BufferSize"/>).</summary>
    public const int Window = 8;

    public const int BufferSize = 128 * 1024;

    private readonly Func<long, CancellationToken, Task<Stream>> _open;
    private readonly TimeSpan _stall;
    private readonly TimeProvider _time;
    private readonly long _length;
    private readonly Lock _gate = new();
    private readonly List<Chunk> _chunks = [];
    private readonly List<Branch> _branches = [];
    private TaskCompletionSource _changed = NewSignal();
    private long _first;
    private int _live;
    private bool _ended;
    private Exception? _failed;
    private Task? _pump;
    private CancellationTokenSource? _stop;

    /// <param name="length">The blob's size.</param>
    /// <param name="open">Opens the source at an offset: once at 0 for everyone, and again for a branch that goes on alone.</param>
    /// <param name="branches">How many uploads read this blob.</param>
    /// <param name="stall">How long the others wait for a branch that reads nothing before it is cut loose.</param>
    /// <param name="time">The clock that <paramref name="stall"/> is measured with.</param>
    public BlobFanOut(long length, Func<long, CancellationToken, Task<Stream>> open, int branches, TimeSpan stall, TimeProvider time)
    {
        _length = length;
        _open = open;
        _stall = stall;
        _time = time;
        _live = branches;
        for (var i = 0; i < branches; i++)
        {
            _branches.Add(new Branch(this));
        }
    }

    public IReadOnlyList<Branch> Branches => _branches;

    /// <summary>The most buffers held at once so far (for tests: memory is bounded).</summary>
    public int MostHeld { get; private set; }

    /// <summary>How many branches were cut loose to read alone.</summary>
    public int CutLoose { get; private set; }

    /// <summary>Waits until the shared read is over (every branch has left or the source ended).</summary>
    public async Task CompleteAsync()
    {
        Task? pump;
        lock (_gate)
        {
            pump = _pump;
        }

        if (pump is not null)
        {
            await pump.ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Under the gate.
    private void Signal()
    {
        var changed = _changed;
        _changed = NewSignal();
        changed.TrySetResult();
    }

    // Under the gate: the branch is done with one more buffer; the oldest ones nobody needs go back.
    private void Release(Chunk chunk)
    {
        chunk.Pending--;
        while (_chunks.Count > 0 && _chunks[0].Pending == 0)
        {
            ArrayPool<byte>.Shared.Return(_chunks[0].Buffer);
            _chunks.RemoveAt(0);
            _first++;
        }

        Signal();
    }

    // Under the gate: the branch reads no more from the shared read.
    private void Leave(Branch branch)
    {
        if (!branch.Shared)
        {
            return;
        }

        branch.Shared = false;
        _live--;
        for (var i = (int)(branch.Sequence - _first); i < _chunks.Count && i >= 0; i++)
        {
            _chunks[i].Pending--;
        }

        while (_chunks.Count > 0 && _chunks[0].Pending <= 0)
        {
            ArrayPool<byte>.Shared.Return(_chunks[0].Buffer);
            _chunks.RemoveAt(0);
            _first++;
        }

        if (_live == 0)
        {
            _stop?.Cancel();
        }

        Signal();
    }

    private void StartPump()
    {
        if (_pump is null)
        {
            _stop = new CancellationTokenSource();
            _pump = Task.Run(() => PumpAsync(_stop.Token));
        }
    }

    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        Stream? source = null;
        try
        {
            source = await _open(0, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                await WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
                var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                int read;
                try
                {
                    read = await source.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }

                lock (_gate)
                {
                    if (read == 0 || _live == 0)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        _ended = true;
                        Signal();
                        return;
                    }

                    _chunks.Add(new Chunk(buffer, read, _live));
                    MostHeld = Math.Max(MostHeld, _chunks.Count);
                    Signal();
                }
            }
        }
        catch (Exception ex)
        {
            lock (_gate)
            {
                // Nobody is left to read: the read was stopped on purpose.
                _failed = _live == 0 ? null : ex;
                _ended = true;
                Signal();
            }
        }
        finally
        {
            if (source is not null)
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Waits while the window is full; a branch that holds it still for the stall time is cut loose.</summary>
    private async Task WaitForRoomAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            long first;
            lock (_gate)
            {
                if (_chunks.Count < Window || _live == 0)
                {
                    return;
                }

                changed = _changed.Task;
                first = _first;
            }

            var waited = await Task.WhenAny(changed, Task.Delay(_stall, _time, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (waited == changed)
            {
                continue;
            }

            lock (_gate)
            {
                // Nothing moved for the whole stall: the branches still at the oldest buffer go on alone.
                if (_first == first && _chunks.Count >= Window)
                {
                    foreach (var branch in _branches.Where(b => b.Shared && b.Sequence == _first))
                    {
                        CutLoose++;
                        branch.Alone = true;
                        Leave(branch);
                    }
                }
            }
        }
    }

    private sealed class Chunk(byte[] buffer, int length, int pending)
    {
        public byte[] Buffer { get; } = buffer;

        public int Length { get; } = length;

        public int Pending { get; set; } = pending;
    }
}
