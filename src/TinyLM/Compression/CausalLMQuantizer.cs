using TinyLM.Kernels;
using TinyLM.Models;

namespace TinyLM.Compression;

/// <summary>What <see cref="CausalLMQuantizer.Quantize"/> does.</summary>
public sealed record CausalLMQuantizationOptions
{
    /// <summary>Block format of the matrices: q8_0, q4_0 or q4_k (llama.cpp layouts, so GGUF export carries them unchanged).</summary>
    public QuantizationType Type { get; init; } = QuantizationType.Q8_0;
    /// <summary>
    /// Where <see cref="Type"/> cannot store a matrix's rows (q4_k needs a multiple of 256 columns): the block format
    /// used instead (q8_0 by default; like llama.cpp, which falls back to a finer type to protect quality).
    /// </summary>
    public QuantizationType Fallback { get; init; } = QuantizationType.Q8_0;
    /// <summary>Also quantize an untied token embedding table (a tied one is the output matrix and always follows it).</summary>
    public bool QuantizeEmbeddings { get; init; }
    /// <summary>A matrix whose relative weight error ‖W_q − W‖/‖W‖ exceeds this stays float32.</summary>
    public double MaxLayerError { get; init; } = 0.15;
}

/// <summary>The quantized language model (a new object; the input is untouched) and the per-matrix report.</summary>
public sealed record CausalLMQuantizationResult(TokenizedCausalLM Model, IReadOnlyList<LayerReport> Layers);

/// <summary>
/// Post-training block quantization of a <see cref="CausalLM"/>: attention, MLP and output matrices in Q8_0, Q4_0
/// or Q4_K (matrices whose rows do not fit Q4_K's 256-value super-blocks take the fallback format); norms, biases and learned positions stay float32, and so does the token embedding unless it is tied to
/// the output (then the one shared matrix is quantized and lookups read its dequantized rows, as llama.cpp does).
/// The returned model's float weights hold the dequantized values, so training-path code sees the same weights
/// that the quantized kernels run.
/// </summary>
public static class CausalLMQuantizer
{
    public static CausalLMQuantizationResult Quantize(TokenizedCausalLM lm, CausalLMQuantizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(lm);
        ArgumentNullException.ThrowIfNull(options);
        if (lm.Model.HasQuantizedWeights)
            throw new InvalidOperationException("quantize: the model is already quantized; quantize its float32 original instead.");
        if (options.Type.Block() is null)
            throw new ArgumentException($"quantize: language models take q8_0, q4_0 or q4_k (llama.cpp blocks), not {options.Type.ToName()}.");
        if (options.Fallback.Block() is not { } fallbackBlock || BlockQuant.BlockValues(fallbackBlock) != BlockQuant.BlockSize)
            throw new ArgumentException($"quantize: the fallback format must be q8_0 or q4_0 (32-value blocks), not {options.Fallback.ToName()}.");
        if (!(options.MaxLayerError >= 0)) throw new ArgumentException($"quantize: the largest layer error must be ≥ 0, got {options.MaxLayerError}.");

        var model = lm.Model;
        var copy = new CausalLM(model.Config);
        var source = model.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        var candidates = QuantizableNames(model, options.QuantizeEmbeddings);
        var reports = new List<LayerReport>();
        foreach (var (name, target) in copy.NamedParameters())
        {
            var p = source[name];
            p.AsSpan().CopyTo(target.AsSpan());
            if (!candidates.Contains(name)) continue;
            int rows = p.Dim(0), cols = p.Dim(1);
            var type = options.Type;
            string note = "";
            if (!type.Fits(cols) && options.Fallback.Fits(cols))
            {
                note = $"{cols} columns is not a multiple of {BlockQuant.BlockValues(type.Block()!.Value)} ({type.ToName()} super-blocks): {options.Fallback.ToName()} instead";
                type = options.Fallback;
            }
            if (!type.Fits(cols))
            {
                reports.Add(new LayerReport(name, [rows, cols], "f32", double.NaN, double.NaN,
                    $"{cols} columns is not a multiple of {BlockQuant.BlockSize}: kept float32"));
                continue;
            }
            var matrix = (BlockMatrix)type.Quantize(p.AsSpan(), rows, cols);
            var dequantized = matrix.Dequantize();
            double error = ClassifierQuantizer.RelativeError(p.AsSpan(), dequantized);
            if (error > options.MaxLayerError)
            {
                reports.Add(new LayerReport(name, [rows, cols], "f32", error, double.NaN,
                    $"weight error {error:G3} > {options.MaxLayerError:G3}: kept float32"));
                continue;
            }
            dequantized.CopyTo(target.AsSpan());
            copy.SetWeightFormat(name, matrix);
            reports.Add(new LayerReport(name, [rows, cols], type.ToName(), error, double.NaN, note));
        }
        copy.Eval();
        var result = new TokenizedCausalLM(copy, lm.Tokenizer) { BosId = lm.BosId, EosId = lm.EosId };
        return new CausalLMQuantizationResult(result, reports);
    }

    /// <summary>
    /// The matrices quantization covers, in parameter order: every rank-2 weight inside the decoder blocks, the output
    /// matrix (tok_embeddings.weight when tied) and, when <paramref name="embeddings"/>, an untied token embedding.
    /// </summary>
    public static IReadOnlySet<string> QuantizableNames(CausalLM model, bool embeddings)
    {
        ArgumentNullException.ThrowIfNull(model);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, p) in model.NamedParameters())
            if (p.Rank == 2 && name.StartsWith("layers.", StringComparison.Ordinal) && name.EndsWith(".weight", StringComparison.Ordinal))
                names.Add(name);
        names.Add(model.Output is null ? "tok_embeddings.weight" : "output.weight");
        if (embeddings) names.Add("tok_embeddings.weight");
        return names;
    }

    /// <summary>
    /// The storage type recorded for a quantized model: q4_k when any matrix is q4_k (the others are its per-matrix
    /// fallbacks), else the most common block format.
    /// </summary>
    public static QuantizationType TypeOf(CausalLM model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var matrices = model.NamedWeightFormats().Select(p => p.Value).ToList();
        if (matrices.Any(m => m is BlockMatrix { Format: BlockFormat.Q4_K })) return QuantizationType.Q4_K;
        int q4 = matrices.Count(m => m is BlockMatrix { Format: BlockFormat.Q4_0 });
        return q4 * 2 > matrices.Count ? QuantizationType.Q4_0 : QuantizationType.Q8_0;
    }
}
