using TinyLM.Kernels;

namespace TinyLM.Tests.Kernels.Quantized;

public class QuantizedLstmKernelTests
{
    private static (float[] Y, float[] HN) RunFloat(RecurrentShape s, float[] x, int[] lengths, float[] wih, float[] whh, float[] bih, float[] bhh)
    {
        var y = new float[s.Batch * s.SeqLen * s.HiddenSize];
        var hN = new float[s.Batch * s.HiddenSize];
        LstmKernel.Forward(s, x, lengths, wih, whh, bih, bhh, default, default, y, s.HiddenSize, hN, default, default);
        return (y, hN);
    }

    private static (float[] Y, float[] HN) RunQuantized(RecurrentShape s, float[] x, int[] lengths, IWeightMatrix wih, IWeightMatrix whh, float[] bias)
    {
        var y = new float[s.Batch * s.SeqLen * s.HiddenSize];
        var hN = new float[s.Batch * s.HiddenSize];
        QuantizedLstmKernel.Forward(s, x, lengths, wih, whh, bias, y, s.HiddenSize, hN);
        return (y, hN);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Float_weights_reproduce_the_training_kernel_and_int8_weights_stay_close(bool reverse)
    {
        var rng = new Random(reverse ? 2 : 1);
        var s = new RecurrentShape(3, 7, 64, 32, reverse);
        int g4 = 4 * s.HiddenSize;
        var x = QuantTolerances.Random(rng, s.Batch * s.SeqLen * s.InputSize);
        var wih = QuantTolerances.Random(rng, g4 * s.InputSize, 0.3f);
        var whh = QuantTolerances.Random(rng, g4 * s.HiddenSize, 0.3f);
        var bih = QuantTolerances.Random(rng, g4, 0.1f);
        var bhh = QuantTolerances.Random(rng, g4, 0.1f);
        var bias = new float[g4];
        for (int i = 0; i < g4; i++) bias[i] = bih[i] + bhh[i];
        int[] lengths = [7, 3, 0];
        var (y, hN) = RunFloat(s, x, lengths, wih, whh, bih, bhh);

        var (yf, hNf) = RunQuantized(s, x, lengths, new FloatMatrix(wih, g4, s.InputSize), new FloatMatrix(whh, g4, s.HiddenSize), bias);
        for (int i = 0; i < y.Length; i++) QuantTolerances.Close($"float y[{i}]", y[i], yf[i], 1e-5);
        for (int i = 0; i < hN.Length; i++) QuantTolerances.Close($"float hN[{i}]", hN[i], hNf[i], 1e-5);

        IWeightMatrix[][] formats =
        [
            [Int8Matrix.Quantize(wih, g4, s.InputSize), Int8Matrix.Quantize(whh, g4, s.HiddenSize)],
            [BlockMatrix.Quantize(BlockFormat.Q8_0, wih, g4, s.InputSize), BlockMatrix.Quantize(BlockFormat.Q8_0, whh, g4, s.HiddenSize)],
        ];
        foreach (var pair in formats)
        {
            var (yq, hNq) = RunQuantized(s, x, lengths, pair[0], pair[1], bias);
            double maxError = 0;
            for (int i = 0; i < y.Length; i++) maxError = Math.Max(maxError, Math.Abs(y[i] - yq[i]));
            Assert.True(maxError < 0.02, $"{pair[0].GetType().Name}: max |y − y_float| = {maxError}");
            // Padding stays zero and the empty sequence keeps a zero state.
            for (int t = 3; t < 7; t++) Assert.Equal(0f, yq[(1 * 7 + t) * s.HiddenSize]);
            for (int j = 0; j < s.HiddenSize; j++) Assert.Equal(0f, hNq[2 * s.HiddenSize + j]);
        }
    }

    [Fact]
    public void Mismatched_weights_are_rejected_with_shapes()
    {
        var s = new RecurrentShape(1, 2, 8, 4);
        var e = Assert.Throws<ArgumentException>(() => QuantizedLstmKernel.Forward(s, new float[16], default,
            new FloatMatrix(new float[16 * 8], 16, 8), new FloatMatrix(new float[16 * 5], 16, 5), default, default, 4, default));
        Assert.Contains("QuantizedLstmKernel", e.Message);
    }
}
