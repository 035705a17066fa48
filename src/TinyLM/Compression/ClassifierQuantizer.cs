using TinyLM.Models;
using TinyLM.Models.Encoders;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Compression;

/// <summary>What <see cref="ClassifierQuantizer.Quantize"/> does.</summary>
public sealed record QuantizationOptions
{
    /// <summary>Storage of the quantized weights.</summary>
    public QuantizationType Type { get; init; } = QuantizationType.Int8;
    /// <summary>
    /// Largest error one layer may cause before it stays float32: the relative logit error on the calibration
    /// texts (default 0.05), or without them the relative weight error ‖W_q − W‖/‖W‖ (default 0.15).
    /// </summary>
    public double? MaxLayerError { get; init; }
    /// <summary>Sample texts to measure each layer's effect on the logits; null or empty = judge by weight error.</summary>
    public IReadOnlyList<string>? CalibrationTexts { get; init; }
    /// <summary>
    /// The linear SVM head's int8 weight: one scale per class column (default: the file is 8% smaller; on R8 margins
    /// move by ~1% and one test text in 2,189 changes class) or, when false, one per row (margins ~0.1%, none changed).
    /// </summary>
    public bool SvmScalePerClass { get; init; } = true;
    /// <summary>
    /// Levels either side of 0 of the SVM head's quantized weight: <see cref="Int8Table.MaxLevels"/> (int8, default) or
    /// fewer (7: a 4-bit code, which only a deflated file stores in fewer bytes; see ClassifierSizeSearch).
    /// </summary>
    public int SvmLevels { get; init; } = Int8Table.MaxLevels;
    /// <summary>Calibration texts used at most (the first ones).</summary>
    public int MaxCalibrationTexts { get; init; } = 512;

    internal double Threshold(bool calibrated) => MaxLayerError ?? (calibrated ? 0.05 : 0.15);
}

/// <summary>One row of the per-layer report.</summary>
/// <param name="Name">Parameter name.</param>
/// <param name="Shape">(rows, cols).</param>
/// <param name="Format">What it is stored as: int8, q8_0, q4_0 or f32.</param>
/// <param name="Error">Relative logit error with only this layer quantized (calibrated), else relative weight error.</param>
/// <param name="Agreement">Share of calibration texts whose top label is unchanged (NaN without calibration).</param>
/// <param name="Reason">Why the layer stayed float32, or empty.</param>
public sealed record LayerReport(string Name, int[] Shape, string Format, double Error, double Agreement, string Reason);

/// <summary>The quantized model (a new object; the input is untouched) and what it cost.</summary>
/// <param name="Model">The quantized classifier: its layers hold their quantized matrices and run from them; the float
/// parameters hold the dequantized values.</param>
/// <param name="Layers">One row per quantizable layer.</param>
/// <param name="Calibrated">Whether errors are measured on calibration texts.</param>
/// <param name="ModelError">Relative logit error of the whole quantized model (calibrated), else NaN.</param>
/// <param name="ModelAgreement">Share of calibration texts whose top label is unchanged, else NaN.</param>
public sealed record QuantizationResult(TextClassifier Model, IReadOnlyList<LayerReport> Layers,
    bool Calibrated, double ModelError, double ModelAgreement);

/// <summary>
/// Post-training quantization of a text classifier. Each quantizable layer is quantized alone and its effect is
/// measured (on calibration texts when given: relative logit error and top-1 agreement against float32); a layer
/// whose error exceeds the threshold stays float32. The input model is never modified.
/// </summary>
public static class ClassifierQuantizer
{
    /// <summary>The name of the linear SVM head's weight (stored as an <see cref="Int8Table"/>, not a quantized layer).</summary>
    public const string SvmWeightName = "svm.weight";

    public static QuantizationResult Quantize(TextClassifier model, QuantizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        if (model.Quantization is not null)
            throw new InvalidOperationException(
                $"quantize: the model is already quantized ({model.Quantization}); quantize its float32 original instead.");
        if (options.CalibrationTexts is { } given && given.Count > 0 && given.All(string.IsNullOrWhiteSpace))
            throw new ArgumentException("quantize: the calibration texts are all empty.");
        var calibration = options.CalibrationTexts?.Where(s => !string.IsNullOrWhiteSpace(s)).Take(options.MaxCalibrationTexts).ToArray() ?? [];
        bool calibrated = calibration.Length > 0;
        double threshold = options.Threshold(calibrated);
        var parameters = model.NamedParameters().ToDictionary(p => p.Key, p => p.Value);

        // Layers are tried one at a time on a copy (a float32 one until the end), so the input is never touched.
        var copy = new TextClassifier(model.Config, model.Tokenizer, model.Labels);
        copy.LoadStateDict(model.StateDict());
        var ids = calibrated ? model.Inputs.EncodeAll(calibration) : [];
        var reference = calibrated && copy.HasNetwork ? Logits(copy, ids, heads: false) : [];
        var mixedReference = calibrated && HasHeads(model) ? Logits(copy, ids, heads: true) : reference;

        var reports = new List<LayerReport>();
        var kept = new Dictionary<string, QuantizedWeight>();
        var half = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in QuantizableNames(copy))
        {
            var p = parameters[name];
            int rows = p.Dim(0), cols = p.Dim(1);
            // A row of ≤ 2 values costs ≥ 3 bytes per value as int8 plus its 2-byte scale (5 with a float32 one), float16
            // 2: such layers (the 1-wide bag of an SVM-alone model, a 1-wide output) are stored as float16 instead.
            if (cols <= MaxHalfPrecisionColumns) { half.Add(name); continue; }
            var type = options.Type.Fits(cols) ? options.Type : QuantizationType.Int8;
            var weight = new QuantizedWeight(name, type, type.Quantize(p.AsSpan(), rows, cols));
            double error, agreement = double.NaN;
            if (calibrated)
            {
                copy.SetWeightFormat(name, weight.Matrix);
                (error, agreement) = Compare(reference, Logits(copy, ids, heads: false), model.Labels.Count);
                copy.SetWeightFormat(name, null);
            }
            else error = RelativeError(p.AsSpan(), weight.Dequantize());
            bool keepFloat = error > threshold;
            if (!keepFloat) kept[name] = weight;
            string reason = keepFloat ? $"{(calibrated ? "logit" : "weight")} error {error:G3} > {threshold:G3}: kept float32"
                : type != options.Type ? $"{cols} columns is not a multiple of 32: int8 instead"
                : "";
            string format = keepFloat ? "f32" : type.ToName();
            reports.Add(new LayerReport(name, [rows, cols], format, error, agreement, reason));
        }

        // The kept layers run quantized; every float weight holds the values its file form stores, so float code paths agree.
        var svmWeight = model.LinearSvm is { } svm ? QuantizeSvmWeight(svm, options.SvmScalePerClass, options.SvmLevels, ids, calibrated ? threshold : double.NaN, options.Threshold(false), reports) : null;
        foreach (var (name, target) in copy.NamedParameters())
        {
            if (kept.TryGetValue(name, out var q))
            {
                q.Dequantize().CopyTo(target.AsSpan());
                copy.SetWeightFormat(name, q.Matrix);
            }
            else if (svmWeight is not null && name == SvmWeightName)
            {
                svmWeight.Dequantize(target.AsSpan());
                copy.SetWeightFormat(name, svmWeight);
            }
            else if ((IsHalfPrecision(name) || half.Contains(name)) && HalfPrecision.TryRound(parameters[name].AsSpan(), target.AsSpan()))
            {
                // A rejected int8 SVM weight has its row already.
                if (name != SvmWeightName)
                    reports.Add(new LayerReport(name, parameters[name].Shape.ToArray(), "f16", RelativeError(parameters[name].AsSpan(), target.ToArray()), double.NaN,
                        half.Contains(name) ? "too narrow for int8 to pay (a 2-byte scale per row): float16" : ""));
            }
        }
        copy.Quantization = options.Type.ToName();
        copy.Train(); // as a freshly built model, whatever mode the measurements left it in
        double modelError = double.NaN, modelAgreement = double.NaN;
        // The whole model is judged by what it predicts from: the network's logits mixed with its heads.
        if (calibrated) (modelError, modelAgreement) = Compare(mixedReference, Logits(copy, ids, HasHeads(copy)), model.Labels.Count);
        return new QuantizationResult(copy, reports, calibrated, modelError, modelAgreement);
    }

    /// <summary>
    /// The layers the quantizer tries, in parameter order: the embedding table, the output layer and, for a BiLSTM, every
    /// weight_ih/weight_hh. A Transformer's inner layers could run quantized too but stay float32, as they always have
    /// (their effect on accuracy has not been measured); the SVM head's weight is quantized on its own terms.
    /// </summary>
    public static IReadOnlyList<string> QuantizableNames(TextClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.HasNetwork) return [];
        var svm = model.LinearSvm?.Weight;
        var weights = model.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        return [.. model.QuantizableParameterNames().Where(name =>
            weights[name] != svm && (model.Encoder is RecurrentEncoder || !IsEncoderWeight(model, weights[name])))];
    }

    private static bool IsEncoderWeight(TextClassifier model, Tensor weight) => model.Encoder.Parameters().Contains(weight);

    // Widest layer stored as float16 rather than int8 with per-row scales (see Quantize).
    private const int MaxHalfPrecisionColumns = 2;

    // Naive Bayes log-probabilities are sums of counts' logarithms: float16 keeps them to ±0.005 at −10, far inside
    // the margins a mixture with the network decides by, and halves the largest table a bag model stores besides its embedding.
    // The linear SVM head's weights and idf (margins ≈ ±1 scaled by 10) keep 3 significant digits likewise.
    private static bool IsHalfPrecision(string name) => name.StartsWith("nb.", StringComparison.Ordinal) || name.StartsWith("svm.", StringComparison.Ordinal);

    private static bool HasHeads(TextClassifier model) => model.Mixture.HasHeads;

    // The model's network logits (row per text), mixed with its heads when asked.
    private static float[] Logits(TextClassifier model, int[][] ids, bool heads)
    {
        var result = new List<float>();
        using var noGrad = Tensor.NoGrad();
        model.Eval();
        foreach (var indices in Batching.Sequential(ids.Length, 64))
        {
            using var scope = new TensorScope();
            var batch = Batching.Pad(ids, indices);
            result.AddRange((heads ? model.Mixture.Logits(batch) : model.Forward(batch)).ToArray());
        }
        return [.. result];
    }

    /// <summary>
    /// The SVM head's weight as int8 (one scale per row or per class), judged by the relative error of its margins and the
    /// share of unchanged top classes on the calibration texts (<paramref name="ids"/>, when
    /// <paramref name="calibratedThreshold"/> is a number), else by the relative weight error; null (and a report row
    /// saying so) when the error exceeds the threshold, and the table then stays float16.
    /// </summary>
    private static Int8Table? QuantizeSvmWeight(LinearSvmHead svm, bool perColumn, int levels, int[][] ids, double calibratedThreshold, double weightThreshold, List<LayerReport> reports)
    {
        var weight = svm.Weight.AsSpan();
        var table = Int8Table.Quantize(weight, svm.Rows, svm.Classes, perColumn, levels);
        var dequantized = new float[weight.Length];
        table.Dequantize(dequantized);
        double error, agreement = double.NaN, threshold = weightThreshold;
        bool calibrated = !double.IsNaN(calibratedThreshold);
        if (calibrated)
        {
            threshold = calibratedThreshold;
            var quantized = new LinearSvmHead(svm.Rows, svm.Classes);
            svm.Idf.AsSpan().CopyTo(quantized.Idf.AsSpan());
            svm.Bias.AsSpan().CopyTo(quantized.Bias.AsSpan());
            dequantized.CopyTo(quantized.Weight.AsSpan());
            (error, agreement) = Compare(Scores(svm, ids), Scores(quantized, ids), svm.Classes);
        }
        else error = RelativeError(weight, dequantized);
        bool keep = error <= threshold;
        reports.Add(new LayerReport(SvmWeightName, [svm.Rows, svm.Classes], keep ? (levels == Int8Table.MaxLevels ? "int8" : $"int8 ±{levels}") : "f16", error, agreement,
            keep ? (perColumn ? "one scale per class" : "") : $"{(calibrated ? "margin" : "weight")} error {error:G3} > {threshold:G3}: kept float16"));
        return keep ? table : null;
    }

    private static float[] Scores(LinearSvmHead svm, int[][] ids)
    {
        var result = new List<float>();
        foreach (var indices in Batching.Sequential(ids.Length, 64)) result.AddRange(svm.Scores(Batching.Pad(ids, indices)));
        return [.. result];
    }

    private static (double Error, double Agreement) Compare(float[] reference, float[] actual, int classes)
    {
        double diff = 0, norm = 0;
        int same = 0, rows = reference.Length / classes;
        for (int i = 0; i < reference.Length; i++)
        {
            diff += (double)(reference[i] - actual[i]) * (reference[i] - actual[i]);
            norm += (double)reference[i] * reference[i];
        }
        for (int r = 0; r < rows; r++)
            if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(reference.AsSpan(r * classes, classes))
                == System.Numerics.Tensors.TensorPrimitives.IndexOfMax(actual.AsSpan(r * classes, classes)))
                same++;
        return (Math.Sqrt(diff / Math.Max(norm, 1e-30)), rows == 0 ? double.NaN : (double)same / rows);
    }

    internal static double RelativeError(ReadOnlySpan<float> original, float[] quantized)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < original.Length; i++)
        {
            diff += (double)(original[i] - quantized[i]) * (original[i] - quantized[i]);
            norm += (double)original[i] * original[i];
        }
        return Math.Sqrt(diff / Math.Max(norm, 1e-30));
    }
}
