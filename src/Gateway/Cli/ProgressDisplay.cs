using System.Globalization;
using SyncGateway.Replicator.Telemetry;
using SyncGateway.Replicator.Engine;

namespace SyncGateway.Gateway.Cli;

/// <summary>
/// A live line on a terminal: images done of total, failures, bytes moved and the current rate,
/// redrawn a few times a second. Off a terminal the log lines tell the same story.
/// </summary>
internal sealed class ProgressDisplay : ISyncObserver, IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private readonly TextWriter _writer;
    private readonly TransferStats _stats;
    private readonly TimeProvider _time;
    private readonly ITimer? _timer;
    private readonly Lock _gate = new();
    private int _total;
    private int _done;
    private int _failed;
    private long _lastBytes;
    private long _lastTimestamp;
    private double _rate;

    public ProgressDisplay(TextWriter writer, TransferStats stats, TimeProvider time, bool live)
    {
        _writer = writer;
        _stats = stats;
        _time = time;
        _lastTimestamp = time.GetTimestamp();
        _timer = live ? time.CreateTimer(_ => Draw(), null, Interval, Interval) : null;
    }

    public void Planned(int tasks) => Interlocked.Exchange(ref _total, tasks);

    public void Completed(TaskResult result)
    {
        Interlocked.Increment(ref _done);
        if (result.Status == SyncStatus.Failed)
        {
            Interlocked.Increment(ref _failed);
        }
    }

    private void Draw()
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var bytes = _stats.BytesStreamed;
            var seconds = _time.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
            if (seconds > 0)
            {
                // A smoothed rate, so the number is readable while it moves.
                _rate = (_rate * 0.6) + ((bytes - _lastBytes) / seconds * 0.4);
            }

            _lastBytes = bytes;
            _lastTimestamp = now;
            var line = string.Create(CultureInfo.InvariantCulture, $"\r{Volatile.Read(ref _done)}/{Volatile.Read(ref _total)} images, {Volatile.Read(ref _failed)} failed, {Bytes.Format(bytes)} at {Bytes.Format((long)_rate)}/s ");
            _writer.Write(line.PadRight(72));
            _writer.Flush();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
            lock (_gate)
            {
                _writer.Write('\r' + new string(' ', 72) + '\r');
                _writer.Flush();
            }
        }
    }
}
