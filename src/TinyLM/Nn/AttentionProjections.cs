using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// What self-attention (<see cref="MultiHeadAttention"/>) and encoder–decoder attention (<see cref="CrossAttention"/>)
/// share: the four projections with llama's names — <c>wq</c> (H·D, C), <c>wk</c> and <c>wv</c> (H_kv·D, C),
/// <c>wo</c> (C, H·D) — the head shape, and the dropout on attention probabilities with its own reseedable stream.
/// Registration and random draws happen in that order, so a model's initial weights do not depend on which kind it is.
/// </summary>
public abstract class AttentionProjections : Module, IReseedable
{
    /// <summary>Added to masked scores: finite, so a fully masked row becomes uniform instead of NaN.</summary>
    protected const float MaskValue = -1e9f;

    /// <summary>
    /// <paramref name="kvHeads"/> ≤ 0 means as many as query heads; <paramref name="headDim"/> ≤ 0 means C / H (a
    /// head-pruned model has H·D &lt; C).
    /// </summary>
    protected AttentionProjections(int modelDim, int heads, int kvHeads, int headDim, Rng rng, bool bias, float dropout)
    {
        ArgumentNullException.ThrowIfNull(rng);
        string name = GetType().Name;
        if (kvHeads <= 0) kvHeads = heads;
        if (modelDim <= 0 || heads <= 0 || (headDim <= 0 && modelDim % heads != 0))
            throw new ArgumentException($"{name}: model dim {modelDim} must be a positive multiple of heads {heads}.");
        if (kvHeads > heads || heads % kvHeads != 0)
            throw new ArgumentException($"{name}: kv heads {kvHeads} must divide heads {heads}.");
        if (!(dropout >= 0f && dropout < 1f)) throw new ArgumentOutOfRangeException(nameof(dropout), $"{name}: dropout {dropout} not in [0, 1).");
        ModelDim = modelDim;
        Heads = heads;
        KvHeads = kvHeads;
        HeadDim = headDim > 0 ? headDim : modelDim / heads;
        DropoutRate = dropout;
        Wq = RegisterModule("wq", new Linear(modelDim, heads * HeadDim, rng, bias));
        Wk = RegisterModule("wk", new Linear(modelDim, kvHeads * HeadDim, rng, bias));
        Wv = RegisterModule("wv", new Linear(modelDim, kvHeads * HeadDim, rng, bias));
        Wo = RegisterModule("wo", new Linear(heads * HeadDim, modelDim, rng, bias));
        DropoutRng = rng.Split();
    }

    /// <summary>Query projection (H·D, C).</summary>
    public Linear Wq { get; }
    /// <summary>Key projection (H_kv·D, C).</summary>
    public Linear Wk { get; }
    /// <summary>Value projection (H_kv·D, C).</summary>
    public Linear Wv { get; }
    /// <summary>Output projection (C, H·D).</summary>
    public Linear Wo { get; }
    /// <summary>C.</summary>
    public int ModelDim { get; }
    /// <summary>H, query heads.</summary>
    public int Heads { get; }
    /// <summary>H_kv, key/value heads (each shared by H/H_kv query heads).</summary>
    public int KvHeads { get; }
    /// <summary>D, the width of one head.</summary>
    public int HeadDim { get; }
    /// <summary>Dropout on the attention probabilities (training only).</summary>
    public float DropoutRate { get; }

    /// <summary>The stream attention dropout draws from.</summary>
    protected Rng DropoutRng { get; }

    /// <inheritdoc />
    public void Reseed(ulong seed) => DropoutRng.Reseed(seed);
}
