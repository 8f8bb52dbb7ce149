namespace SyncGateway.Registry.Auth;

/// <summary>
/// Credentials a program gives (a <c>passwordCommand</c>, a docker credential helper): it runs
/// when they are first needed, its answer is kept, and it runs again when the registry refuses
/// that answer, so a rotating token (ACR's temporary passwords, a cloud helper) is picked up
/// without a restart. Refusals of one answer that come together run the program once.
/// </summary>
public sealed class ExternalCredentials(Func<CancellationToken, Task<RegistryCredentials?>> fetch) : ICredentialSource
{
    private readonly SemaphoreSlim _running = new(1, 1);
    private Answer? _current;

    private int _runs;

    /// <summary>How many times the program has run (for tests and diagnostics).</summary>
    public int Runs => Volatile.Read(ref _runs);

    public async ValueTask<RegistryCredentials?> GetAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _current) is { } known)
        {
            return known.Credentials;
        }

        await _running.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _current) is { } fetched)
            {
                return fetched.Credentials;
            }

            Interlocked.Increment(ref _runs);
            var answer = new Answer(await fetch(cancellationToken).ConfigureAwait(false));
            Volatile.Write(ref _current, answer);
            return answer.Credentials;
        }
        finally
        {
            _running.Release();
        }
    }

    public bool Refused(RegistryCredentials credentials)
    {
        // Only the answer that was refused is dropped: one run since then already gave another.
        var current = Volatile.Read(ref _current);
        if (current is not null && ReferenceEquals(current.Credentials, credentials))
        {
            Interlocked.CompareExchange(ref _current, null, current);
        }

        return true;
    }

    private sealed record Answer(RegistryCredentials? Credentials);
}
