using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.Models;

/// <summary>
/// A decoder-only language model (GPT-2/nanoGPT or llama/llama2.c family, chosen by <see cref="CausalLMConfig"/>):
/// token embedding (+ learned positions) → dropout → N × <see cref="DecoderBlock"/> → norm → output projection
/// (tied to the embedding or its own). <see cref="Forward"/> is the autograd path for training;
/// <see cref="CreateRunState"/> gives the allocation-free KV-cached path for generation. A quantized model holds its
/// matrices as weight formats of its layers (<see cref="Module.SetWeightFormat"/>); both paths run them.
/// <para>Parameter names follow Meta's llama checkpoints (llama2.c export order), so importers and exporters map
/// tensors one to one:</para>
/// <code>
/// TinyLM name                              llama2.c / Meta          GGUF
/// tok_embeddings.weight          (V, C)    token_embedding_table    token_embd.weight
/// pos_embeddings.weight          (T, C)    — (learned positions only; GPT-2 wpe)
/// layers.{i}.attention_norm.weight (C)     rms_att_weight[i]        blk.{i}.attn_norm.weight
/// layers.{i}.attention.wq.weight (H·D, C)  wq[i]                    blk.{i}.attn_q.weight
/// layers.{i}.attention.wk.weight (Hkv·D,C) wk[i]                    blk.{i}.attn_k.weight
/// layers.{i}.attention.wv.weight (Hkv·D,C) wv[i]                    blk.{i}.attn_v.weight
/// layers.{i}.attention.wo.weight (C, H·D)  wo[i]                    blk.{i}.attn_output.weight
/// layers.{i}.ffn_norm.weight       (C)     rms_ffn_weight[i]        blk.{i}.ffn_norm.weight
/// layers.{i}.feed_forward.w1.weight (F, C) w1[i]                    blk.{i}.ffn_gate.weight
/// layers.{i}.feed_forward.w2.weight (C, F) w2[i]                    blk.{i}.ffn_down.weight
/// layers.{i}.feed_forward.w3.weight (F, C) w3[i]                    blk.{i}.ffn_up.weight
/// layers.{i}.feed_forward.c_fc / c_proj    — (GELU MLP, nanoGPT names)
/// norm.weight                      (C)     rms_final_weight         output_norm.weight
/// output.weight                  (V, C)    wcls (absent when tied)  output.weight
/// </code>
/// Biases (when <see cref="CausalLMConfig.Bias"/>) sit next to their weights as <c>….bias</c>. RoPE pairs adjacent
/// elements (Meta/llama2.c convention), so llama2.c weights need no permutation; GGUF writers permute wq/wk rows
/// as llama.cpp's converter does for Meta checkpoints.
/// </summary>
public sealed class CausalLM : Module
{
    private readonly Dropout _dropout;
    private readonly DecoderBlock[] _blocks;

    /// <summary>A freshly initialised model (GPT-2 initialisation: N(0, 0.02), residual projections scaled by 1/√(2L)).</summary>
    public CausalLM(CausalLMConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        var rng = new Rng(config.Seed);
        TokenEmbeddings = RegisterModule("tok_embeddings", new Embedding(config.VocabSize, config.EmbedDim, rng.Split(), std: 0.02f));
        if (config.Positions == PositionKind.Learned)
            PositionEmbeddings = RegisterModule("pos_embeddings", new Embedding(config.ContextLength, config.EmbedDim, rng.Split(), std: 0.02f));
        _dropout = RegisterModule("dropout", new Dropout(config.Dropout, rng.Split()));
        var layers = RegisterModule("layers", new LayerList());
        _blocks = new DecoderBlock[config.Layers];
        for (int i = 0; i < config.Layers; i++)
            _blocks[i] = layers.Add(new DecoderBlock(config, rng.Split()));
        FinalNorm = RegisterModule("norm", DecoderBlock.CreateNorm(config));
        if (!config.TieWeights) Output = RegisterModule("output", new Linear(config.EmbedDim, config.VocabSize, rng.Split(), bias: false));
        Initialise(rng.Split());
    }

    /// <summary>Architecture.</summary>
    public CausalLMConfig Config { get; }
    /// <summary>Token embedding (V, C); also the output matrix when weights are tied.</summary>
    public Embedding TokenEmbeddings { get; }
    /// <summary>Learned position table (T_max, C), or null with rotary positions.</summary>
    public Embedding? PositionEmbeddings { get; }
    /// <summary>The decoder blocks, bottom first.</summary>
    public IReadOnlyList<DecoderBlock> Blocks => _blocks;
    /// <summary>Norm after the last block.</summary>
    public Module FinalNorm { get; }
    /// <summary>Output projection, or null when tied to <see cref="TokenEmbeddings"/>.</summary>
    public Linear? Output { get; }
    /// <summary>The (V, C) matrix that maps the final hidden state to logits.</summary>
    public Tensor OutputWeight => Output?.Weight ?? TokenEmbeddings.Weight;

    /// <summary>Logits (B, T, V) for token ids (B, T), T ≤ context length.</summary>
    public Tensor Forward(IntTensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Rank != 2)
            throw new ArgumentException($"CausalLM.Forward: ids must be (B, T), got {ids}.");
        int b = ids.Shape[0], t = ids.Shape[1];
        if (t < 1 || t > Config.ContextLength)
            throw new ArgumentException($"CausalLM.Forward: sequence length {t} is not in [1, {Config.ContextLength}] (the context length).");
        var x = TokenEmbeddings.Forward(ids);                                   // (B, T, C)
        if (PositionEmbeddings is not null)
        {
            var positions = new int[t];
            for (int i = 0; i < t; i++) positions[i] = i;
            x = x.Add(PositionEmbeddings.Forward(new IntTensor(positions, t))); // (B, T, C)
        }
        if (_dropout.P > 0) x = _dropout.Forward(x);
        foreach (var block in _blocks) x = block.Forward(x);                    // (B, T, C)
        x = ((ILayer)FinalNorm).Forward(x);                                     // (B, T, C)
        if (Output is not null) return Output.Forward(x);                      // (B, T, V)
        // A tied output runs the embedding's quantized table when it has one, as the decode state does.
        return TokenEmbeddings.WeightFormatOf("weight") is { } table ? Linear.Through(table, x) : x.MatMul(TokenEmbeddings.Weight.T);
    }

    /// <summary>Mean next-token cross-entropy of ids (B, T) against targets (B, T).</summary>
    public Tensor Loss(IntTensor ids, IntTensor targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var logits = Forward(ids);                                              // (B, T, V)
        return Tensor.CrossEntropy(logits, targets);
    }

    /// <summary>
    /// A preallocated inference state (KV caches and activation buffers for one sequence) for
    /// <see cref="CausalLMRunState.Prefill"/> and <see cref="CausalLMRunState.DecodeStep"/>. It reads the live
    /// weights, so it sees later weight updates.
    /// </summary>
    public CausalLMRunState CreateRunState() => new(this);

    /// <summary>
    /// Forward FLOPs per token at full context, as nanoGPT's estimate_mfu counts them: 2 × the matrix parameters
    /// (blocks and output projection; embedding lookups are free) + 4·L·T·C for attention scores and weighted values.
    /// Training costs three times this (forward + backward).
    /// </summary>
    public double ForwardFlopsPerToken()
    {
        long matrices = OutputWeight.Length;
        foreach (var block in _blocks)
            foreach (var (name, p) in block.NamedParameters())
                if (p.Rank == 2) matrices += p.Length;
        return 2.0 * matrices + 2.0 * 2.0 * Config.Layers * Config.ContextLength * Config.EmbedDim;
    }

    private void Initialise(Rng rng)
    {
        using var _ = Tensor.NoGrad();
        float residualStd = 0.02f / MathF.Sqrt(2f * Config.Layers);
        foreach (var (name, p) in NamedParameters())
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal)) p.AsSpan().Clear();
            else if (p.Rank == 2 && !name.Contains("embeddings", StringComparison.Ordinal))
            {
                bool residual = name.EndsWith("wo.weight", StringComparison.Ordinal) || name.EndsWith("c_proj.weight", StringComparison.Ordinal)
                                || name.EndsWith("w2.weight", StringComparison.Ordinal);
                // The draw happens either way, so the other matrices get the same values with or without zero-init.
                rng.Normal(p.AsSpan(), 0f, residual ? residualStd : 0.02f);
                if (residual && Config.ZeroInitResidual) p.AsSpan().Clear();
            }
        }
    }

    // Registers blocks as children "0", "1", … so their names read layers.{i}.….
    private sealed class LayerList : Module
    {
        private int _count;

        public DecoderBlock Add(DecoderBlock block) => RegisterModule((_count++).ToString(System.Globalization.CultureInfo.InvariantCulture), block);
    }
}
