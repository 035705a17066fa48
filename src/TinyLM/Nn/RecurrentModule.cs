using TinyLM.Kernels;
using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// What a recurrent module returns.
/// </summary>
/// <param name="Output">(B, T, D·H) last layer's outputs, both directions side by side (forward first), zero at padding.</param>
/// <param name="HiddenState">(L·D, B, H) final hidden state of every layer and direction, PyTorch's h_n order;
/// the forward direction's is taken after each sequence's last valid token, the reverse's after its first.</param>
/// <param name="CellState">(L·D, B, H) final LSTM cell states, or null for a GRU.</param>
public sealed record RecurrentOutput(Tensor Output, Tensor HiddenState, Tensor? CellState);

/// <summary>
/// Stacked, optionally bidirectional, batch-first recurrent layers over the fused kernels in
/// <see cref="LstmKernel"/>/<see cref="GruKernel"/>; each layer (both directions) is one op on the tape.
/// Parameters use PyTorch's names and shapes (weight_ih_l{k}[_reverse], weight_hh_l{k}[_reverse],
/// bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse]) so checkpoints interoperate.
/// </summary>
public abstract class RecurrentModule : Module
{
    private readonly bool _lstm;
    private readonly int _gates;
    // [layer · D + direction] → weight_ih, weight_hh, bias_ih, bias_hh (biases null without bias).
    private readonly Tensor?[][] _cells;
    // [layer · D + direction] → the parameter names of weight_ih and weight_hh (their quantized forms are looked up by them).
    private readonly string[][] _weightNames;

    /// <summary>I: features per input step.</summary>
    public int InputSize { get; }
    /// <summary>H: hidden size of each direction.</summary>
    public int HiddenSize { get; }
    /// <summary>L: stacked layers.</summary>
    public int NumLayers { get; }
    /// <summary>Whether each layer also runs back to front (D = 2).</summary>
    public bool Bidirectional { get; }
    /// <summary>Whether the layers have bias_ih/bias_hh.</summary>
    public bool HasBias { get; }
    /// <summary>D: 2 when bidirectional, else 1.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    private protected RecurrentModule(bool lstm, int inputSize, int hiddenSize, int numLayers, bool bidirectional, bool bias, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        string name = lstm ? "Lstm" : "Gru";
        if (inputSize < 0 || hiddenSize <= 0 || numLayers <= 0)
            throw new ArgumentException($"{name}: invalid sizes inputSize={inputSize} hiddenSize={hiddenSize} numLayers={numLayers}.");
        _lstm = lstm;
        _gates = lstm ? 4 : 3;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        Bidirectional = bidirectional;
        HasBias = bias;
        // PyTorch's default: every weight and bias U(-1/√H, 1/√H).
        float k = 1f / MathF.Sqrt(hiddenSize);
        int g = _gates * hiddenSize;
        _cells = new Tensor?[numLayers * Directions][];
        _weightNames = new string[numLayers * Directions][];
        for (int layer = 0; layer < numLayers; layer++)
        {
            int layerInput = layer == 0 ? inputSize : Directions * hiddenSize;
            for (int d = 0; d < Directions; d++)
            {
                string suffix = $"_l{layer}" + (d == 1 ? "_reverse" : "");
                Tensor Init(string key, params int[] shape)
                {
                    var p = Tensor.Parameter(shape);
                    rng.Uniform(p.AsSpan(), -k, k);
                    return RegisterParameter(key + suffix, p);
                }
                var wih = Init("weight_ih", g, layerInput);
                var whh = Init("weight_hh", g, hiddenSize);
                var bih = bias ? Init("bias_ih", g) : null;
                var bhh = bias ? Init("bias_hh", g) : null;
                _cells[layer * Directions + d] = [wih, whh, bih, bhh];
                _weightNames[layer * Directions + d] = ["weight_ih" + suffix, "weight_hh" + suffix];
            }
        }
    }

    private protected RecurrentOutput Run(Tensor input, int[]? lengths, Tensor? h0, Tensor? c0)
    {
        ArgumentNullException.ThrowIfNull(input);
        string name = _lstm ? "Lstm" : "Gru";
        if (input.Rank != 3 || input.Dim(2) != InputSize)
            throw new ArgumentException($"{name}.Forward: input shape {Format(input)}, expected (B, T, {InputSize}).");
        int batch = input.Dim(0), seqLen = input.Dim(1), states = NumLayers * Directions;
        if (lengths is not null)
        {
            if (lengths.Length != batch)
                throw new ArgumentException($"{name}.Forward: {lengths.Length} lengths for a batch of {batch}.");
            for (int b = 0; b < batch; b++)
                if ((uint)lengths[b] > (uint)seqLen)
                    throw new ArgumentException($"{name}.Forward: lengths[{b}] = {lengths[b]} is outside [0, {seqLen}].");
            lengths = (int[])lengths.Clone(); // the backward closure must see the lengths of this call
        }
        CheckState(name, "h0", h0, states, batch);
        if (!_lstm && c0 is not null) throw new ArgumentException($"{name}.Forward: a GRU has no cell state (c0).");
        CheckState(name, "c0", c0, states, batch);
        if (HasWeightFormats) return RunQuantized(input, lengths, h0, c0);

        var hidden = new Tensor[NumLayers];
        var cells = _lstm ? new Tensor[NumLayers] : null;
        Tensor x = input;
        for (int layer = 0; layer < NumLayers; layer++)
        {
            var h0Layer = h0?.Narrow(0, layer * Directions, Directions);
            var c0Layer = c0?.Narrow(0, layer * Directions, Directions);
            (x, hidden[layer], var cn) = Layer(layer, x, lengths, h0Layer, c0Layer);
            if (cells is not null) cells[layer] = cn!;
        }
        return new RecurrentOutput(x,
            NumLayers == 1 ? hidden[0] : Tensor.Concat(hidden, 0),
            cells is null ? null : NumLayers == 1 ? cells[0] : Tensor.Concat(cells, 0));
    }

    // One layer, both directions, as one recorded op whose output packs
    // [y (B, T, D·H) | hN (D, B, H) | cN (D, B, H)], then views of it.
    private (Tensor Y, Tensor HN, Tensor? CN) Layer(int layer, Tensor x, int[]? lengths, Tensor? h0, Tensor? c0)
    {
        int batch = x.Dim(0), seqLen = x.Dim(1), inputSize = x.Dim(2), h = HiddenSize, dirs = Directions;
        int yLen = batch * seqLen * dirs * h, sLen = dirs * batch * h, bh = batch * h;
        var packed = Tensor.Empty(yLen + (_lstm ? 2 : 1) * sLen);
        var inputs = new List<Tensor> { x };
        for (int d = 0; d < dirs; d++)
            foreach (var p in _cells[layer * dirs + d])
                if (p is not null) inputs.Add(p);
        if (h0 is not null) inputs.Add(h0);
        if (c0 is not null) inputs.Add(c0);
        bool record = false;
        if (Autograd.IsEnabled)
            foreach (var t in inputs) record |= t.RequiresGrad;

        Tensor xc;
        Tensor? h0c, c0c;
        var workspaces = new Tensor?[dirs];
        using (Tensor.NoGrad())
        {
            xc = x.Contiguous();
            h0c = h0?.Contiguous();
            c0c = c0?.Contiguous();
            var outSpan = packed.AsSpan();
            for (int d = 0; d < dirs; d++)
            {
                var shape = new RecurrentShape(batch, seqLen, inputSize, h, d == 1);
                var cell = _cells[layer * dirs + d];
                long wsLen = _lstm ? LstmKernel.WorkspaceLength(shape) : GruKernel.WorkspaceLength(shape);
                workspaces[d] = record ? Tensor.Empty(checked((int)wsLen)) : null;
                var ws = workspaces[d] is { } w ? w.AsSpan() : [];
                var h0d = h0c is null ? [] : h0c.AsSpan().Slice(d * bh, bh);
                var y = outSpan[(d * h)..];
                var hN = outSpan.Slice(yLen + d * bh, bh);
                if (_lstm)
                    LstmKernel.Forward(shape, xc.AsSpan(), lengths, cell[0]!.AsSpan(), cell[1]!.AsSpan(), Span(cell[2]), Span(cell[3]),
                        h0d, c0c is null ? [] : c0c.AsSpan().Slice(d * bh, bh), y, dirs * h, hN, outSpan.Slice(yLen + sLen + d * bh, bh), ws);
                else
                    GruKernel.Forward(shape, xc.AsSpan(), lengths, cell[0]!.AsSpan(), cell[1]!.AsSpan(), Span(cell[2]), Span(cell[3]),
                        h0d, y, dirs * h, hN, ws);
            }
        }

        if (record)
            Tensor.Record(_lstm ? "Lstm" : "Gru", packed, inputs.ToArray(), g =>
            {
                var gs = g.AsSpan();
                for (int d = 0; d < dirs; d++)
                {
                    var shape = new RecurrentShape(batch, seqLen, inputSize, h, d == 1);
                    var cell = _cells[layer * dirs + d];
                    var dh0 = h0 is { RequiresGrad: true } ? h0.GradSpan().Slice(d * bh, bh) : [];
                    if (_lstm)
                    {
                        var dc0 = c0 is { RequiresGrad: true } ? c0.GradSpan().Slice(d * bh, bh) : [];
                        LstmKernel.Backward(shape, xc.AsSpan(), lengths, cell[0]!.AsSpan(), cell[1]!.AsSpan(), workspaces[d]!.AsSpan(),
                            gs[(d * h)..], dirs * h, gs.Slice(yLen + d * bh, bh), gs.Slice(yLen + sLen + d * bh, bh),
                            GradOf(x), dh0, dc0, GradOf(cell[0]), GradOf(cell[1]), GradOf(cell[2]), GradOf(cell[3]));
                    }
                    else
                    {
                        GruKernel.Backward(shape, xc.AsSpan(), lengths, cell[0]!.AsSpan(), cell[1]!.AsSpan(), workspaces[d]!.AsSpan(),
                            gs[(d * h)..], dirs * h, gs.Slice(yLen + d * bh, bh),
                            GradOf(x), dh0, GradOf(cell[0]), GradOf(cell[1]), GradOf(cell[2]), GradOf(cell[3]));
                    }
                }
            });

        var yOut = packed.Narrow(0, 0, yLen).Reshape(batch, seqLen, dirs * h);          // (B, T, D·H)
        var hOut = packed.Narrow(0, yLen, sLen).Reshape(dirs, batch, h);                 // (D, B, H)
        var cOut = _lstm ? packed.Narrow(0, yLen + sLen, sLen).Reshape(dirs, batch, h) : null;
        return (yOut, hOut, cOut);
    }

    // Inference with quantized weight_ih/weight_hh (a float32 one runs as a FloatMatrix) on the quantized kernel,
    // straight on spans, both directions of a layer into one (B, T, D·H) output; records no gradient and returns no
    // cell state.
    private RecurrentOutput RunQuantized(Tensor input, int[]? lengths, Tensor? h0, Tensor? c0)
    {
        if (h0 is not null || c0 is not null)
            throw new ArgumentException($"{(_lstm ? "Lstm" : "Gru")}.Forward: quantized weights run from a zero initial state (h0{(_lstm ? " and c0" : "")} must be null).");
        int batch = input.Dim(0), seqLen = input.Dim(1), h = HiddenSize, dirs = Directions;
        float[] x;
        using (Tensor.NoGrad()) x = input.Contiguous().ToArray();
        int inputSize = InputSize;
        var hN = new float[NumLayers * dirs * batch * h]; // (L·D, B, H)
        for (int layer = 0; layer < NumLayers; layer++)
        {
            var y = new float[batch * seqLen * dirs * h]; // (B, T, D·H)
            for (int d = 0; d < dirs; d++)
            {
                var cell = _cells[layer * dirs + d];
                var names = _weightNames[layer * dirs + d];
                var shape = new RecurrentShape(batch, seqLen, inputSize, h, Reverse: d == 1);
                QuantizedRecurrentKernel.Forward(_lstm, shape, x, lengths, Matrix(cell[0]!, names[0]), Matrix(cell[1]!, names[1]),
                    Span(cell[2]), Span(cell[3]), y.AsSpan(d * h), dirs * h, hN.AsSpan((layer * dirs + d) * batch * h, batch * h));
            }
            x = y;
            inputSize = dirs * h;
        }
        return new RecurrentOutput(Tensor.FromArray(x, batch, seqLen, dirs * h), Tensor.FromArray(hN, NumLayers * dirs, batch, h), null);

        IWeightMatrix Matrix(Tensor weight, string key) => WeightFormat(key) ?? new FloatMatrix(weight.ToArray(), weight.Dim(0), weight.Dim(1));
    }

    protected override bool IsQuantizable(string name) =>
        name.StartsWith("weight_ih_l", StringComparison.Ordinal) || name.StartsWith("weight_hh_l", StringComparison.Ordinal);

    private static ReadOnlySpan<float> Span(Tensor? t) => t is null ? [] : t.AsSpan();

    private static Span<float> GradOf(Tensor? t) => t is { RequiresGrad: true } ? t.GradSpan() : [];

    private void CheckState(string name, string what, Tensor? state, int states, int batch)
    {
        if (state is not null && (state.Rank != 3 || state.Dim(0) != states || state.Dim(1) != batch || state.Dim(2) != HiddenSize))
            throw new ArgumentException($"{name}.Forward: {what} shape {Format(state)}, expected ({states}, {batch}, {HiddenSize}).");
    }

    private static string Format(Tensor t) => "(" + string.Join(", ", t.Shape) + ")";
}
