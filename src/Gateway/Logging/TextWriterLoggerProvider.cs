using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SyncGateway.Gateway.Json;

namespace SyncGateway.Gateway.Logging;

/// <summary>
/// Log records to a writer (stderr, or the <c>--log</c> file): one plain line each, or one JSON
/// object each with the message's structured fields (<c>--log-format json</c>).
/// </summary>
internal sealed class TextWriterLoggerProvider(TextWriter writer, LogLevel minimum, TimeProvider time, bool json = false) : ILoggerProvider
{
    private readonly Lock _gate = new();

    private LogLevel Minimum => minimum;

    public ILogger CreateLogger(string categoryName) => new WriterLogger(this, categoryName);

    public void Dispose() => writer.Flush();

    private void Write<TState>(string category, LogLevel level, EventId eventId, TState state, Exception? exception, string message)
    {
        var now = time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        string line;
        if (json)
        {
            var record = new Dictionary<string, object?>
            {
                ["time"] = now,
                ["level"] = level.ToString(),
                ["category"] = category,
                ["eventId"] = eventId.Id,
                ["message"] = message,
            };
            if (state is IReadOnlyList<KeyValuePair<string, object?>> fields)
            {
                foreach (var (key, value) in fields.Where(f => f.Key != "{OriginalFormat}"))
                {
                    record[key] = value is null or string or bool or int or long or double ? value : Convert.ToString(value, CultureInfo.InvariantCulture);
                }
            }

            if (exception is not null)
            {
                record["exception"] = $"{exception.GetType().Name}: {exception.Message}";
            }

            line = JsonSerializer.Serialize(record, GatewayJsonContext.Default.DictionaryStringObject);
        }
        else
        {
            line = $"{now} {Label(level)} {message}" + (exception is null ? string.Empty : $" ({exception.GetType().Name}: {exception.Message})");
        }

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

    private sealed class WriterLogger(TextWriterLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider.Minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(category, logLevel, eventId, state, exception, formatter(state, exception));
            }
        }
    }
}
