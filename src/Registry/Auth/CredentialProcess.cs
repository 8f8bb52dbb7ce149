using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using SyncGateway.Registry.Errors;

namespace SyncGateway.Registry.Auth;

/// <summary>
/// Runs a program that gives a registry's credentials (a <c>passwordCommand</c>, a docker
/// credential helper) and returns what it printed. Whatever goes wrong (not found, a failure, a
/// hang, nothing printed) is an error that names the program and the registry, never the secret;
/// the images of that registry fail with it, and nothing is retried on a guess.
/// </summary>
internal static class CredentialProcess
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const int MaxOutput = 64 * 1024;

    /// <param name="what">How messages name the program: <c>the passwordCommand 'acr-token'</c>.</param>
    /// <param name="registry">The registry the credentials are for, for messages.</param>
    /// <param name="fileName">The program to run.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="input">What to write to its standard input, if anything.</param>
    /// <param name="outputExplainsFailure">Whether a failing program's standard output says why (helpers print their reason there); else it is never shown, as it may hold a secret.</param>
    /// <param name="cancellationToken">Stops waiting (and kills the program).</param>
    public static async Task<string> RunAsync(string what, string registry, string fileName, IReadOnlyList<string> arguments, string? input, bool outputExplainsFailure, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        Process process;
        try
        {
            process = Process.Start(info) ?? throw Fail(what, registry, "did not start");
        }
        catch (Win32Exception ex)
        {
            throw Fail(what, registry, $"cannot be run ({ex.Message}); is it installed and on PATH?");
        }

        using (process)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            try
            {
                var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
                var error = process.StandardError.ReadToEndAsync(timeout.Token);
                try
                {
                    if (input is not null)
                    {
                        await process.StandardInput.WriteAsync(input.AsMemory(), timeout.Token).ConfigureAwait(false);
                    }

                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // the program ended without reading its input: its exit code tells
                }

                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                var (stdout, stderr) = (await output.ConfigureAwait(false), await error.ConfigureAwait(false));
                if (process.ExitCode != 0)
                {
                    throw Fail(what, registry, $"failed (exit {process.ExitCode}){Detail(stderr, outputExplainsFailure ? stdout : string.Empty)}");
                }

                if (stdout.Length > MaxOutput)
                {
                    throw Fail(what, registry, $"printed {stdout.Length} characters, more than the {MaxOutput} a credential can be");
                }

                var text = stdout.TrimEnd('\r', '\n');
                return text.Length == 0 ? throw Fail(what, registry, "printed nothing") : text;
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                if (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }

                throw Fail(what, registry, $"did not finish within {Timeout.TotalSeconds:0} s");
            }
        }
    }

    /// <summary>The error, named as every credential error is: the program, then the registry.</summary>
    public static RegistryException Fail(string what, string registry, string problem) =>
        new($"{what} for {registry} {problem}");

    // What the program said about its failure, one line of it: helpers print their reason there.
    private static string Detail(string stderr, string stdout)
    {
        var said = (stderr.Trim().Length > 0 ? stderr : stdout).Trim();
        var line = said.Split('\n', 2)[0].Trim();
        return line.Length == 0 ? string.Empty : ": " + (line.Length > 200 ? line[..200] + "..." : line);
    }
}
