using System.Globalization;
using Microsoft.Extensions.Logging;

namespace SyncGateway.Gateway.Logging;

/// <summary>Plain, one-line log records to a writer: stderr, or the <c>--log</c> file.</summary>
internal sealed class TextWriterLoggerProvider(TextWriter writer, LogLevel minimum, TimeProvider time) : ILoggerProvider
{
    private readonly Lock _gate = new();

    private LogLevel Minimum => minimum;

    public ILogger CreateLogger(string categoryName) => new WriterLogger(this);

    public void Dispose() => writer.Flush();

    private void Write(LogLevel level, string message, Exception? exception)
    {
        var line = $"{time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)} {Label(level)} {message}"
            + (exception is null ? string.Empty : $" ({exception.GetType().Name}: {exception.Message})");
        lock (_gate)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }

    private static string Label(LogLevel level) => level switch
    {
        LogLevel.Trace => "TRACE",
        LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO ",
        LogLevel.Warning => "WARN ",
        LogLevel.Error => "ERROR",
        _ => "FATAL",
    };

    private sealed class WriterLogger(TextWriterLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider.Minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(logLevel, formatter(state, exception), exception);
            }
        }
    }
}
