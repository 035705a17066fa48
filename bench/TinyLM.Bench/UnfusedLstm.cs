using TinyLM.Kernels;

namespace TinyLM.Bench;

/// <summary>
/// The textbook LSTM the fused kernel is measured against: per time step and per gate, separate GEMMs
/// for the input and recurrent projections (no up-front input GEMM), scalar pointwise loops one gate at a
/// time, and per-step weight-gradient GEMMs in backward. Same layout and results as
/// <see cref="LstmKernel"/> for full-length batches; it exists only for the benchmark.
/// </summary>
public sealed class UnfusedLstm(int batch, int seqLen, int inputSize, int hidden)
{
    private readonly float[][] _gates = Enumerable.Range(0, 4).Select(_ => new float[seqLen * batch * hidden]).ToArray();
    private readonly float[] _h = new float[(seqLen + 1) * batch * hidden];
    private readonly float[] _c = new float[(seqLen + 1) * batch * hidden];
    private readonly float[] _dh = new float[batch * hidden];
    private readonly float[] _dc = new float[batch * hidden];
    private readonly float[][] _dGates = Enumerable.Range(0, 4).Select(_ => new float[batch * hidden]).ToArray();

    public void Forward(float[] x, float[] wih, float[] whh, float[] bih, float[] bhh, float[] y)
    {
        int bh = batch * hidden, hi = hidden * inputSize, hh = hidden * hidden;
        Array.Clear(_h, 0, bh);
        Array.Clear(_c, 0, bh);
        for (int t = 0; t < seqLen; t++)
        {
            var hPrev = _h.AsSpan(t * bh, bh);
            for (int k = 0; k < 4; k++)
            {
                var g = _gates[k].AsSpan(t * bh, bh);
                // Rows of x at step t are T·I apart in the batch-first layout.
                Gemm.Multiply(false, true, batch, hidden, inputSize, 1f, x.AsSpan(t * inputSize), seqLen * inputSize,
                    wih.AsSpan(k * hi, hi), inputSize, 0f, g, hidden);
                Gemm.Multiply(false, true, batch, hidden, hidden, 1f, hPrev, hidden, whh.AsSpan(k * hh, hh), hidden, 1f, g, hidden);
                for (int b = 0; b < batch; b++)
                    for (int j = 0; j < hidden; j++)
                    {
                        float v = g[b * hidden + j] + bih[k * hidden + j] + bhh[k * hidden + j];
                        g[b * hidden + j] = k == 2 ? MathF.Tanh(v) : 1f / (1f + MathF.Exp(-v));
                    }
            }
            for (int b = 0; b < batch; b++)
                for (int j = 0; j < hidden; j++)
                {
                    int e = t * bh + b * hidden + j;
                    float c = _gates[1][e] * _c[e] + _gates[0][e] * _gates[2][e];
                    _c[e + bh] = c;
                    float h = _gates[3][e] * MathF.Tanh(c);
                    _h[e + bh] = h;
                    y[(b * seqLen + t) * hidden + j] = h;
                }
        }
    }

    public void Backward(float[] x, float[] wih, float[] whh, float[] dy,
        float[] dx, float[] dwih, float[] dwhh, float[] dbih, float[] dbhh)
    {
        int bh = batch * hidden, hi = hidden * inputSize, hh = hidden * hidden;
        Array.Clear(_dh);
        Array.Clear(_dc);
        for (int t = seqLen - 1; t >= 0; t--)
        {
            for (int b = 0; b < batch; b++)
                for (int j = 0; j < hidden; j++)
                {
                    int s = b * hidden + j, e = t * bh + s;
                    float i = _gates[0][e], f = _gates[1][e], g = _gates[2][e], o = _gates[3][e];
                    float dh = _dh[s] + dy[(b * seqLen + t) * hidden + j];
                    float tc = MathF.Tanh(_c[e + bh]);
                    float dc = _dc[s] + dh * o * (1 - tc * tc);
                    _dGates[0][s] = dc * g * i * (1 - i);
                    _dGates[1][s] = dc * _c[e] * f * (1 - f);
                    _dGates[2][s] = dc * i * (1 - g * g);
                    _dGates[3][s] = dh * tc * o * (1 - o);
                    _dc[s] = dc * f;
                }
            Array.Clear(_dh);
            var hPrev = _h.AsSpan(t * bh, bh);
            for (int k = 0; k < 4; k++)
            {
                var dg = _dGates[k];
                Gemm.Multiply(false, false, batch, hidden, hidden, 1f, dg, hidden, whh.AsSpan(k * hh, hh), hidden, 1f, _dh, hidden);
                Gemm.Multiply(true, false, hidden, hidden, batch, 1f, dg, hidden, hPrev, hidden, 1f, dwhh.AsSpan(k * hh, hh), hidden);
                Gemm.Multiply(true, false, hidden, inputSize, batch, 1f, dg, hidden, x.AsSpan(t * inputSize), seqLen * inputSize,
                    1f, dwih.AsSpan(k * hi, hi), inputSize);
                Gemm.Multiply(false, false, batch, inputSize, hidden, 1f, dg, hidden, wih.AsSpan(k * hi, hi), inputSize,
                    1f, dx.AsSpan(t * inputSize), seqLen * inputSize);
                for (int b = 0; b < batch; b++)
                    for (int j = 0; j < hidden; j++)
                    {
                        dbih[k * hidden + j] += dg[b * hidden + j];
                        dbhh[k * hidden + j] += dg[b * hidden + j];
                    }
            }
        }
    }
}
