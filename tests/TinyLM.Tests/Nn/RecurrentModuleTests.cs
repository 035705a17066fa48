using TinyLM.Kernels;
using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Tests.Kernels.Recurrent;

namespace TinyLM.Tests.Nn;

[Collection("RecurrentKernels")]
public class RecurrentModuleTests
{
    [Fact]
    public void Parameters_use_pytorch_names_shapes_and_default_init()
    {
        var lstm = new Lstm(3, 5, new Rng(7), numLayers: 2, bidirectional: true);
        var names = lstm.NamedParameters().Select(p => p.Key).ToArray();
        Assert.Equal(
        [
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
            "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
        ], names);
        var byName = lstm.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(new[] { 20, 3 }, byName["weight_ih_l0"].Shape.ToArray());
        Assert.Equal(new[] { 20, 5 }, byName["weight_hh_l0_reverse"].Shape.ToArray());
        Assert.Equal(new[] { 20, 10 }, byName["weight_ih_l1"].Shape.ToArray());
        Assert.Equal(new[] { 20 }, byName["bias_hh_l1_reverse"].Shape.ToArray());
        float k = 1f / MathF.Sqrt(5);
        foreach (var p in lstm.Parameters())
        {
            Assert.True(p.RequiresGrad);
            Assert.All(p.ToArray(), v => Assert.InRange(v, -k, k));
        }
        var gru = new Gru(4, 6, new Rng(7), bias: false);
        Assert.Equal(["weight_ih_l0", "weight_hh_l0"], gru.NamedParameters().Select(p => p.Key));
        Assert.Equal(new[] { 18, 4 }, gru.NamedParameters().First().Value.Shape.ToArray());
        // Same seed, same weights.
        var again = new Lstm(3, 5, new Rng(7), numLayers: 2, bidirectional: true);
        Assert.Equal(lstm.Parameters().First().ToArray(), again.Parameters().First().ToArray());
    }

    [Theory]
    [InlineData(true, false, 1)]
    [InlineData(true, true, 2)]
    [InlineData(false, false, 2)]
    [InlineData(false, true, 2)]
    public void Stacked_module_outputs_and_gradients_match_float64_reference(bool isLstm, bool bidirectional, int layers)
    {
        const int B = 3, T = 4, I = 3, H = 5;
        int dirs = bidirectional ? 2 : 1;
        int[] lengths = [4, 2, 3];
        RecurrentModule module = isLstm
            ? new Lstm(I, H, new Rng(3), layers, bidirectional)
            : new Gru(I, H, new Rng(3), layers, bidirectional);
        var rng = new Random(5);
        float[] Uniform(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] xData = Uniform(B * T * I), h0Data = Uniform(layers * dirs * B * H), c0Data = Uniform(layers * dirs * B * H);
        float[] wy = Uniform(B * T * dirs * H), wh = Uniform(layers * dirs * B * H), wc = Uniform(layers * dirs * B * H);

        var x = Tensor.Parameter(Tensor.FromArray(xData, B, T, I));
        var h0 = Tensor.Parameter(Tensor.FromArray(h0Data, layers * dirs, B, H));
        var c0 = isLstm ? Tensor.Parameter(Tensor.FromArray(c0Data, layers * dirs, B, H)) : null;
        var result = isLstm ? ((Lstm)module).Forward(x, lengths, h0, c0) : ((Gru)module).Forward(x, lengths, h0);
        Assert.Equal(new[] { B, T, dirs * H }, result.Output.Shape.ToArray());
        Assert.Equal(new[] { layers * dirs, B, H }, result.HiddenState.Shape.ToArray());
        var loss = (result.Output * Tensor.FromArray(wy, B, T, dirs * H)).Sum()
            + (result.HiddenState * Tensor.FromArray(wh, layers * dirs, B, H)).Sum();
        if (isLstm) loss += (result.CellState! * Tensor.FromArray(wc, layers * dirs, B, H)).Sum();
        loss.Backward();

        // Everything the reference differentiates: x, h0, c0, then the module's parameters in order.
        var leaves = new List<Tensor> { x, h0 };
        if (c0 is not null) leaves.Add(c0);
        leaves.AddRange(module.Parameters());
        double[][] values = leaves.Select(t => t.ToArray().Select(v => (double)v).ToArray()).ToArray();
        double Reference(double[][] v) => ComposedLoss(isLstm, layers, dirs, B, T, I, H, lengths, v, wy, wh, wc);

        Assert.Equal(Reference(values), loss.Item(), 1e-3);
        for (int k = 0; k < leaves.Count; k++)
        {
            var numeric = new double[values[k].Length];
            for (int e = 0; e < numeric.Length; e++)
            {
                double keep = values[k][e];
                values[k][e] = keep + RecurrentTolerance.Eps;
                double plus = Reference(values);
                values[k][e] = keep - RecurrentTolerance.Eps;
                double minus = Reference(values);
                values[k][e] = keep;
                numeric[e] = (plus - minus) / (2 * RecurrentTolerance.Eps);
            }
            RecurrentReference.AssertGradient(numeric, leaves[k].Grad!.ToArray(), leaves[k].Name ?? $"leaf {k}");
        }
    }

    [Fact]
    public void NoGrad_forward_matches_recorded_forward_and_records_nothing()
    {
        var gru = new Gru(4, 7, new Rng(1), numLayers: 2, bidirectional: true);
        var x = Tensor.FromArray(Enumerable.Range(0, 2 * 5 * 4).Select(i => MathF.Sin(i)).ToArray(), 2, 5, 4);
        var trained = gru.Forward(x, [5, 3]);
        Assert.True(trained.Output.RequiresGrad);
        RecurrentOutput inferred;
        using (Tensor.NoGrad()) inferred = gru.Forward(x, [5, 3]);
        Assert.False(inferred.Output.RequiresGrad);
        Assert.Equal(trained.Output.ToArray(), inferred.Output.ToArray());
        Assert.Equal(trained.HiddenState.ToArray(), inferred.HiddenState.ToArray());
    }

    [Fact]
    public void Bad_inputs_name_the_module_and_shapes()
    {
        var lstm = new Lstm(4, 3, new Rng(1));
        var ex = Assert.Throws<ArgumentException>(() => lstm.Forward(Tensor.Zeros(2, 5, 3)));
        Assert.Contains("Lstm.Forward: input shape (2, 5, 3), expected (B, T, 4)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => lstm.Forward(Tensor.Zeros(2, 5, 4), [5, 6]));
        Assert.Contains("lengths[1] = 6", ex.Message);
    }

    // Float64 stacked (bi)directional network from the single-layer reference; v = x, h0, [c0,] params.
    private static double ComposedLoss(bool isLstm, int layers, int dirs, int nb, int nt, int ni, int nh,
        int[] lengths, double[][] v, float[] wy, float[] wh, float[] wc)
    {
        int next = isLstm ? 3 : 2, perCell = 4;
        double[] x = v[0], h0 = v[1], c0 = isLstm ? v[2] : [];
        double loss = 0;
        int inSize = ni;
        for (int layer = 0; layer < layers; layer++)
        {
            var y = new double[nb * nt * dirs * nh];
            for (int d = 0; d < dirs; d++)
            {
                int cellIndex = layer * dirs + d;
                double[][] p =
                [
                    x,
                    v[next + cellIndex * perCell], v[next + cellIndex * perCell + 1],
                    v[next + cellIndex * perCell + 2], v[next + cellIndex * perCell + 3],
                    h0.AsSpan(cellIndex * nb * nh, nb * nh).ToArray(),
                    isLstm ? c0.AsSpan(cellIndex * nb * nh, nb * nh).ToArray() : [],
                ];
                var shape = new RecurrentShape(nb, nt, inSize, nh, d == 1);
                double[] yd, hN;
                double[]? cN = null;
                if (isLstm) (yd, hN, cN) = RecurrentReference.Lstm(shape, lengths, p);
                else (yd, hN) = RecurrentReference.Gru(shape, lengths, p);
                for (int r = 0; r < nb * nt; r++)
                    for (int j = 0; j < nh; j++) y[r * dirs * nh + d * nh + j] = yd[r * nh + j];
                for (int e = 0; e < nb * nh; e++)
                {
                    loss += hN[e] * wh[cellIndex * nb * nh + e];
                    if (cN is not null) loss += cN[e] * wc[cellIndex * nb * nh + e];
                }
            }
            x = y;
            inSize = dirs * nh;
        }
        for (int e = 0; e < x.Length; e++) loss += x[e] * wy[e];
        return loss;
    }
}
