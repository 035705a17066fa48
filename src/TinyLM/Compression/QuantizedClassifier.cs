using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Models.Encoders;
using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Compression;

/// <summary>
/// Inference for a <see cref="TextClassifier"/> whose embedding table, output layer and (BiLSTM) recurrent
/// weights may be quantized, each independently. The BiLSTM runs on <see cref="QuantizedLstmKernel"/> (also for
/// weights kept in float32), straight on spans without the autograd tape; other encoders run their float32
/// modules between a quantized embedding and output layer.
/// </summary>
public sealed class QuantizedClassifier : IClassifierEngine
{
    private readonly TextClassifier _model;
    private readonly QuantizedWeight? _embedding;
    private readonly float[] _embeddingFloat;
    private readonly int _embedDim;
    private readonly IWeightMatrix _output;
    private readonly float[] _outputBias;
    private readonly LstmLayer[]? _lstm;

    /// <param name="model">Supplies architecture and every float32 weight (quantized ones may hold anything).</param>
    /// <param name="weights">The quantized parameters by name; any other parameter stays float32.</param>
    /// <param name="type">The model's quantization type (recorded in files).</param>
    /// <param name="svmWeight">
    /// The linear SVM head's weight as int8, or null (then it is float). The head scores with its float parameter,
    /// which must hold these values dequantized; this engine only carries them to the file.
    /// </param>
    public QuantizedClassifier(TextClassifier model, IReadOnlyDictionary<string, QuantizedWeight> weights, QuantizationType type,
        Int8Table? svmWeight = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(weights);
        _model = model;
        Type = type;
        Weights = weights;
        if (svmWeight is not null && (model.LinearSvm is not { } svm || svm.Rows != svmWeight.Rows || svm.Classes != svmWeight.Cols))
            throw new ArgumentException($"QuantizedClassifier: an int8 '{SvmWeightName}' of ({svmWeight.Rows}, {svmWeight.Cols}) does not fit "
                + (model.LinearSvm is { } head ? $"the SVM head's ({head.Rows}, {head.Classes})." : "a classifier without an SVM head."));
        SvmWeight = svmWeight;
        var parameters = model.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        foreach (var name in weights.Keys)
            if (!QuantizableNames(model).Contains(name))
                throw new ArgumentException($"QuantizedClassifier: '{name}' is not a quantizable weight of this {model.Config.Encoder} classifier.");
        var table = parameters["embedding.weight"];
        _embedDim = table.Dim(1);
        _embedding = weights.GetValueOrDefault("embedding.weight");
        _embeddingFloat = _embedding is null ? table.ToArray() : [];
        _output = Matrix("output.weight");
        _outputBias = parameters.TryGetValue("output.bias", out var ob) ? ob.ToArray() : [];
        if (model.Config.Encoder == EncoderKind.BiLstm)
        {
            int layers = model.Config.Layers;
            _lstm = new LstmLayer[layers * 2];
            for (int l = 0; l < layers; l++)
                for (int d = 0; d < 2; d++)
                {
                    string suffix = $"_l{l}{(d == 1 ? "_reverse" : "")}";
                    var bias = parameters.TryGetValue("encoder.rnn.bias_ih" + suffix, out var bih) ? bih.ToArray() : [];
                    if (parameters.TryGetValue("encoder.rnn.bias_hh" + suffix, out var bhh))
                        System.Numerics.Tensors.TensorPrimitives.Add(bias, bhh.AsSpan(), bias);
                    _lstm[l * 2 + d] = new LstmLayer(Matrix("encoder.rnn.weight_ih" + suffix), Matrix("encoder.rnn.weight_hh" + suffix), bias);
                }
        }

        IWeightMatrix Matrix(string name)
        {
            if (weights.TryGetValue(name, out var q)) return q.Matrix;
            var p = parameters[name];
            return new FloatMatrix(p.ToArray(), p.Dim(0), p.Dim(1));
        }
    }

    /// <summary>The quantization type the file records.</summary>
    public QuantizationType Type { get; }

    public string Scheme => Type.ToName();

    /// <summary>The quantized parameters by name.</summary>
    public IReadOnlyDictionary<string, QuantizedWeight> Weights { get; }

    /// <summary>The parameter name of the linear SVM head's weight.</summary>
    public const string SvmWeightName = "svm.weight";

    /// <summary>The linear SVM head's weight stored as int8 with per-class scales, or null when it is stored as floats.</summary>
    public Int8Table? SvmWeight { get; }

    /// <summary>
    /// Parameters this engine can run quantized: the embedding table, the output layer and, for a BiLSTM,
    /// every weight_ih/weight_hh. Other encoders keep their weights in float32.
    /// </summary>
    public static IReadOnlyList<string> QuantizableNames(TextClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var names = new List<string> { "embedding.weight" };
        if (model.Config.Encoder == EncoderKind.BiLstm)
            for (int l = 0; l < model.Config.Layers; l++)
                foreach (var d in new[] { "", "_reverse" })
                {
                    names.Add($"encoder.rnn.weight_ih_l{l}{d}");
                    names.Add($"encoder.rnn.weight_hh_l{l}{d}");
                }
        names.Add("output.weight");
        return names;
    }

    public Tensor Forward(PaddedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int b = batch.B, t = batch.T, e = _embedDim;
        if (_model.Encoder is BagEncoder) return Output(EncodeBag(batch), b);
        var x = new float[b * t * e]; // (B, T, E)
        for (int i = 0; i < b * t; i++)
        {
            int id = batch.Ids[i];
            if (_embedding is not null) _embedding.DequantizeRow(id, x.AsSpan(i * e, e));
            else _embeddingFloat.AsSpan(id * e, e).CopyTo(x.AsSpan(i * e, e));
        }
        float[] features = _lstm is not null ? EncodeLstm(x, batch) : EncodeWithModule(x, batch); // (B, F)
        return Output(features, b);
    }

    private Tensor Output(float[] features, int b)
    {
        var logits = new float[b * _output.Rows];
        _output.Multiply(b, features, _outputBias, logits);
        return Tensor.FromArray(logits, b, _output.Rows); // (B, C)
    }

    // The bag encoder is the mean of the embedding rows: summing each dequantized row straight into its text's
    // features (in the order Pooling.MeanOverTime sums) skips the (B, T, E) buffer and the tensor pipeline.
    private float[] EncodeBag(PaddedBatch batch)
    {
        int e = _embedDim;
        var features = new float[batch.B * e]; // (B, E)
        var row = _embedding is null ? [] : new float[e];
        for (int i = 0; i < batch.B; i++)
        {
            int len = batch.Lengths[i];
            if (len == 0) continue;
            var f = features.AsSpan(i * e, e);
            for (int j = 0; j < len; j++)
            {
                int id = batch.Ids[i * batch.T + j];
                if (_embedding is null) System.Numerics.Tensors.TensorPrimitives.Add(f, _embeddingFloat.AsSpan(id * e, e), f);
                else _embedding.AccumulateRow(id, row, f);
            }
            System.Numerics.Tensors.TensorPrimitives.Multiply(f, 1f / len, f);
        }
        return features;
    }

    private float[] EncodeLstm(float[] x, PaddedBatch batch)
    {
        int b = batch.B, t = batch.T, h = _model.Config.Hidden, layers = _lstm!.Length / 2;
        var hN = new float[2 * b * h];
        var input = x;
        int inputSize = _embedDim;
        var pooling = _model.Config.Pooling;
        for (int l = 0; l < layers; l++)
        {
            // The last layer's sequence output is needed only by max/mean pooling.
            bool needY = l < layers - 1 || pooling != PoolingKind.Last;
            var y = needY ? new float[b * t * 2 * h] : [];
            for (int d = 0; d < 2; d++)
            {
                var layer = _lstm[l * 2 + d];
                var shape = new RecurrentShape(b, t, inputSize, h, Reverse: d == 1);
                QuantizedLstmKernel.Forward(shape, input, batch.Lengths, layer.WeightIh, layer.WeightHh, layer.Bias,
                    needY ? y.AsSpan(d * h) : default, 2 * h, hN.AsSpan(d * b * h, b * h));
            }
            input = y;
            inputSize = 2 * h;
        }
        if (pooling == PoolingKind.Last)
        {
            var features = new float[b * 2 * h]; // (B, 2H): forward final state, then backward
            for (int i = 0; i < b; i++)
            {
                hN.AsSpan(i * h, h).CopyTo(features.AsSpan(i * 2 * h, h));
                hN.AsSpan((b + i) * h, h).CopyTo(features.AsSpan(i * 2 * h + h, h));
            }
            return features;
        }
        using var noGrad = Tensor.NoGrad();
        var output = Tensor.FromArray(input, b, t, 2 * h); // (B, T, 2H)
        var pooled = pooling == PoolingKind.Max ? Pooling.MaxOverTime(output, batch.Lengths) : Pooling.MeanOverTime(output, batch.Lengths);
        return pooled.ToArray();
    }

    private float[] EncodeWithModule(float[] x, PaddedBatch batch)
    {
        using var noGrad = Tensor.NoGrad();
        bool wasTraining = _model.Training;
        _model.Eval();
        try
        {
            var features = _model.Encoder.Forward(Tensor.FromArray(x, batch.B, batch.T, _embedDim), batch.Lengths); // (B, F)
            return features.Contiguous().ToArray();
        }
        finally
        {
            _model.Train(wasTraining);
        }
    }

    private sealed record LstmLayer(IWeightMatrix WeightIh, IWeightMatrix WeightHh, float[] Bias);
}
