using BenchmarkDotNet.Attributes;
using TinyLM.Kernels;

namespace TinyLM.Bench;

/// <summary>
/// Fused LSTM kernel vs the unfused per-gate, per-step baseline at B=32, T=100, I=64, H=64
/// (run: dotnet run -c Release --project bench/TinyLM.Bench -- --filter '*RecurrentBenchmarks*').
/// </summary>
[MemoryDiagnoser]
public class RecurrentBenchmarks
{
    private const int B = 32, T = 100, I = 64, H = 64;
    private readonly RecurrentShape _shape = new(B, T, I, H);
    private float[] _x = [], _wih = [], _whh = [], _bih = [], _bhh = [], _y = [], _dy = [], _ws = [];
    private float[] _dx = [], _dwih = [], _dwhh = [], _dbih = [], _dbhh = [];
    private UnfusedLstm _unfused = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        float[] Uniform(int n, float scale) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();
        _x = Uniform(B * T * I, 1f);
        _wih = Uniform(4 * H * I, 0.125f);
        _whh = Uniform(4 * H * H, 0.125f);
        _bih = Uniform(4 * H, 0.125f);
        _bhh = Uniform(4 * H, 0.125f);
        _dy = Uniform(B * T * H, 1f);
        _y = new float[B * T * H];
        _ws = new float[LstmKernel.WorkspaceLength(_shape)];
        _dx = new float[B * T * I];
        _dwih = new float[4 * H * I];
        _dwhh = new float[4 * H * H];
        _dbih = new float[4 * H];
        _dbhh = new float[4 * H];
        _unfused = new UnfusedLstm(B, T, I, H);

        // The comparison only means something if both compute the same function.
        var fusedY = new float[B * T * H];
        LstmKernel.Forward(_shape, _x, [], _wih, _whh, _bih, _bhh, [], [], fusedY, H, [], [], []);
        _unfused.Forward(_x, _wih, _whh, _bih, _bhh, _y);
        for (int i = 0; i < _y.Length; i++)
            if (Math.Abs(_y[i] - fusedY[i]) > 1e-4f)
                throw new InvalidOperationException($"RecurrentBenchmarks: fused and unfused LSTM differ at {i}: {fusedY[i]} vs {_y[i]}.");
        var dwhhFused = new float[4 * H * H];
        LstmKernel.Forward(_shape, _x, [], _wih, _whh, _bih, _bhh, [], [], fusedY, H, [], [], _ws);
        LstmKernel.Backward(_shape, _x, [], _wih, _whh, _ws, _dy, H, [], [], [], [], [], [], dwhhFused, [], []);
        _unfused.Backward(_x, _wih, _whh, _dy, _dx, _dwih, _dwhh, _dbih, _dbhh);
        for (int i = 0; i < _dwhh.Length; i++)
            if (Math.Abs(_dwhh[i] - dwhhFused[i]) > 1e-3f * (1 + Math.Abs(dwhhFused[i])))
                throw new InvalidOperationException($"RecurrentBenchmarks: fused and unfused dW_hh differ at {i}: {dwhhFused[i]} vs {_dwhh[i]}.");
    }

    [Benchmark(Baseline = true, Description = "LSTM forward, unfused")]
    public void UnfusedForward() => _unfused.Forward(_x, _wih, _whh, _bih, _bhh, _y);

    [Benchmark(Description = "LSTM forward, fused")]
    public void FusedForward() =>
        LstmKernel.Forward(_shape, _x, [], _wih, _whh, _bih, _bhh, [], [], _y, H, [], [], []);

    [Benchmark(Description = "LSTM forward+backward, unfused")]
    public void UnfusedTrainStep()
    {
        _unfused.Forward(_x, _wih, _whh, _bih, _bhh, _y);
        _unfused.Backward(_x, _wih, _whh, _dy, _dx, _dwih, _dwhh, _dbih, _dbhh);
    }

    [Benchmark(Description = "LSTM forward+backward, fused")]
    public void FusedTrainStep()
    {
        LstmKernel.Forward(_shape, _x, [], _wih, _whh, _bih, _bhh, [], [], _y, H, [], [], _ws);
        LstmKernel.Backward(_shape, _x, [], _wih, _whh, _ws, _dy, H, [], [], _dx, [], [], _dwih, _dwhh, _dbih, _dbhh);
    }
}
