using System.Diagnostics;

namespace TinyLM.Tests.Reliability;

/// <summary>
/// The tinylm CLI as a separate process, so a test can kill it the way the OOM killer or a closed laptop lid does
/// (SIGKILL: no finally block, no flush) or interrupt it the way Ctrl-C does (SIGINT).
/// </summary>
internal sealed class TrainingChild : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _err = new();

    private TrainingChild(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_err) _err.AppendLine(e.Data);
        };
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    /// <summary>The CLI assembly the test project copied next to itself (a project reference to an executable brings its runtimeconfig).</summary>
    public static string CliDll
    {
        get
        {
            string dll = typeof(TinyLM.Cli.Program).Assembly.Location;
            if (!File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")))
                throw new InvalidOperationException($"{dll} has no runtimeconfig.json next to it, so it cannot be started as a process.");
            return dll;
        }
    }

    public static TrainingChild Start(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        info.ArgumentList.Add(CliDll);
        foreach (string a in args) info.ArgumentList.Add(a);
        // A progress line every 50 ms of training, so a test can tell when the loop is running.
        info.Environment["TINYLM_PROGRESS_SECONDS"] = "0.05";
        return new TrainingChild(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Stderr
    {
        get
        {
            lock (_err) return _err.ToString();
        }
    }

    /// <summary>SIGKILL: the process ends at once, wherever it is (mid-step, mid-write, between write and rename).</summary>
    public void KillHard()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // it had already exited
        }
        _process.WaitForExit();
    }

    /// <summary>Sends <paramref name="signal"/> (e.g. SIGINT = 2, SIGTERM = 15) the way a terminal or a service manager would.</summary>
    public void Signal(int signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Waits for the exit and returns its code; kills the process and fails when it takes longer than <paramref name="timeout"/>.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            KillHard();
            throw new TimeoutException($"the training process did not end within {timeout.TotalSeconds:F0} s; stderr:\n{Stderr}");
        }
        _process.WaitForExit(); // drains the redirected streams
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited) KillHard();
        _process.Dispose();
    }
}
