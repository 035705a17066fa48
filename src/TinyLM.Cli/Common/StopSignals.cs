using System.Runtime.InteropServices;
using TinyLM.Training;

namespace TinyLM.Cli.Common;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM during training: instead of the process dying mid-step, the training loop is asked to
/// stop between two steps; with <c>--checkpoint</c> it writes the state there first. The run then ends with exit code
/// <see cref="ExitCodes.Interrupted"/> and a message saying where the state is, or that nothing was saved. A second
/// signal while the first is being honoured ends the process at once (the default behaviour).
/// </summary>
public sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration[] _registrations;
    private string _signal = "";

    private StopSignals()
    {
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];
    }

    public CancellationToken Token => _stop.Token;

    /// <summary>
    /// Runs <paramref name="train"/> with a token the signals cancel. A stop becomes a <see cref="CliError"/> naming the
    /// signal, the step and <paramref name="checkpointPath"/> (where the state was written), or saying that nothing was.
    /// Batches skipped by <c>--skip-nonfinite</c> are counted on stderr.
    /// </summary>
    public static TrainResult Run(string? checkpointPath, Func<CancellationToken, TrainResult> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        using var signals = new StopSignals();
        try
        {
            var result = train(signals.Token);
            if (result.SkippedNonFinite > 0)
                Console.Error.WriteLine($"skipped {result.SkippedNonFinite} batches whose loss or gradients were not finite (--skip-nonfinite)");
            return result;
        }
        catch (TrainingInterruptedException e)
        {
            throw new CliError(e.CheckpointWritten
                ? $"training stopped by {signals._signal} after step {e.Step}; its state is saved in {checkpointPath}: continue with --resume {checkpointPath}"
                : $"training stopped by {signals._signal} after step {e.Step}; nothing was saved (give --checkpoint FILE to keep a stopped run)",
                ExitCodes.Interrupted);
        }
    }

    private void Handle(PosixSignalContext context)
    {
        if (_stop.IsCancellationRequested) return; // a second signal: let it end the process
        _signal = context.Signal == PosixSignal.SIGINT ? "Ctrl-C (SIGINT)" : "SIGTERM";
        context.Cancel = true;
        Console.Error.WriteLine($"{_signal}: stopping after the current step (again to quit at once)");
        _stop.Cancel();
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _stop.Dispose();
    }
}
