using System.Diagnostics;

namespace SyncGateway.Bench;

/// <summary>
/// The measured pulls of one URL: each one's rate, and the CPU time that the process serving it
/// (<paramref name="servePid"/>, when it is a gateway) and the mirror registry spent meanwhile.
/// </summary>
internal sealed class Pulled(string url, int? servePid)
{
    private readonly List<double> _rates = [];
    private double _busy;
    private double _wall;

    /// <summary>The URL; one that ends in <c>/</c> is completed with the blob's digest when it is first pulled.</summary>
    public string Url { get; private set; } = url;

    public double ServeCpu { get; private set; }

    public double MirrorCpu { get; private set; }

    public double Median => GatewayBench.Median([.. _rates]);

    /// <summary>How busy the machine's cores were with the benchmark's processes during these pulls, in percent.</summary>
    public double Busy => 100 * _busy / (_wall * Environment.ProcessorCount);

    public void Complete(string digest) => Url = Url.EndsWith('/') ? Url + digest : Url;

    public async Task PullAsync(HttpClient http, Process[] processes, int mirrorPid)
    {
        double Cpu() => processes.Sum(p => GatewayBench.ProcCpuSeconds(p.Id));
        var all = Cpu();
        var serve = servePid is { } pid ? GatewayBench.ProcCpuSeconds(pid) : 0;
        var mirror = GatewayBench.ProcCpuSeconds(mirrorPid);
        var clock = Stopwatch.StartNew();
        var total = await GatewayBench.PullAsync(http, Url);
        var elapsed = clock.Elapsed.TotalSeconds;
        _rates.Add(total / (1024.0 * 1024.0) / elapsed);
        ServeCpu += servePid is { } id ? GatewayBench.ProcCpuSeconds(id) - serve : 0;
        MirrorCpu += GatewayBench.ProcCpuSeconds(mirrorPid) - mirror;
        _busy += Cpu() - all;
        _wall += elapsed;
    }
}
