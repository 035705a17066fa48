using TinyLM.Kernels;

namespace TinyLM.Tests.Kernels.Quantized;

public class QuantizedRecurrentKernelTests
{
    // The training kernels (float32, checked against float64 references and finite differences elsewhere) are the reference.
    private static (float[] Y, float[] HN) RunFloat(bool lstm, RecurrentShape s, float[] x, int[] lengths, float[] wih, float[] whh, float[] bih, float[] bhh)
    {
        var y = new float[s.Batch * s.SeqLen * s.HiddenSize];
        var hN = new float[s.Batch * s.HiddenSize];
        if (lstm) LstmKernel.Forward(s, x, lengths, wih, whh, bih, bhh, default, default, y, s.HiddenSize, hN, default, default);
        else GruKernel.Forward(s, x, lengths, wih, whh, bih, bhh, default, y, s.HiddenSize, hN, default);
        return (y, hN);
    }

    private static (float[] Y, float[] HN) RunQuantized(bool lstm, RecurrentShape s, float[] x, int[] lengths, IWeightMatrix wih, IWeightMatrix whh, float[] bih, float[] bhh)
    {
        var y = new float[s.Batch * s.SeqLen * s.HiddenSize];
        var hN = new float[s.Batch * s.HiddenSize];
        QuantizedRecurrentKernel.Forward(lstm, s, x, lengths, wih, whh, bih, bhh, y, s.HiddenSize, hN);
        return (y, hN);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void Float_weights_reproduce_the_training_kernel_and_quantized_weights_stay_close(bool lstm, bool reverse)
    {
        var rng = new Random((lstm ? 10 : 20) + (reverse ? 2 : 1));
        var s = new RecurrentShape(3, 7, 64, 32, reverse);
        int g = (lstm ? 4 : 3) * s.HiddenSize;
        var x = QuantTolerances.Random(rng, s.Batch * s.SeqLen * s.InputSize);
        var wih = QuantTolerances.Random(rng, g * s.InputSize, 0.3f);
        var whh = QuantTolerances.Random(rng, g * s.HiddenSize, 0.3f);
        var bih = QuantTolerances.Random(rng, g, 0.1f);
        var bhh = QuantTolerances.Random(rng, g, 0.1f);
        int[] lengths = [7, 3, 0];
        var (y, hN) = RunFloat(lstm, s, x, lengths, wih, whh, bih, bhh);

        var (yf, hNf) = RunQuantized(lstm, s, x, lengths, new FloatMatrix(wih, g, s.InputSize), new FloatMatrix(whh, g, s.HiddenSize), bih, bhh);
        for (int i = 0; i < y.Length; i++) QuantTolerances.Close($"float y[{i}]", y[i], yf[i], 1e-5);
        for (int i = 0; i < hN.Length; i++) QuantTolerances.Close($"float hN[{i}]", hN[i], hNf[i], 1e-5);

        IWeightMatrix[][] formats =
        [
            [Int8Matrix.Quantize(wih, g, s.InputSize), Int8Matrix.Quantize(whh, g, s.HiddenSize)],
            [BlockMatrix.Quantize(BlockFormat.Q8_0, wih, g, s.InputSize), BlockMatrix.Quantize(BlockFormat.Q8_0, whh, g, s.HiddenSize)],
        ];
        foreach (var pair in formats)
        {
            var (yq, hNq) = RunQuantized(lstm, s, x, lengths, pair[0], pair[1], bih, bhh);
            double maxError = 0;
            for (int i = 0; i < y.Length; i++) maxError = Math.Max(maxError, Math.Abs(y[i] - yq[i]));
            Assert.True(maxError < 0.02, $"{pair[0].GetType().Name}: max |y − y_float| = {maxError}");
            Assert.True(maxError > 0, $"{pair[0].GetType().Name}: quantized weights gave exactly the float outputs, so they were not used");
            // Padding stays zero and the empty sequence keeps a zero state.
            for (int t = 3; t < 7; t++) Assert.Equal(0f, yq[(1 * 7 + t) * s.HiddenSize]);
            for (int j = 0; j < s.HiddenSize; j++) Assert.Equal(0f, hNq[2 * s.HiddenSize + j]);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Mismatched_weights_are_rejected_with_shapes(bool lstm)
    {
        var s = new RecurrentShape(1, 2, 8, 4);
        int g = (lstm ? 4 : 3) * 4;
        var e = Assert.Throws<ArgumentException>(() => QuantizedRecurrentKernel.Forward(lstm, s, new float[16], default,
            new FloatMatrix(new float[g * 8], g, 8), new FloatMatrix(new float[g * 5], g, 5), default, default, default, 4, default));
        Assert.Contains("QuantizedRecurrentKernel", e.Message);
        Assert.Contains(lstm ? "LSTM" : "GRU", e.Message);
    }
}
