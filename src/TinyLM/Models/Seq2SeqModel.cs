using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Models;

/// <summary>
/// What a decoder carries between steps for <see cref="Seq2SeqModel.Step"/>: the encoded sources (one row per
/// hypothesis), recurrent state or KV caches, and how many target positions were fed so far.
/// </summary>
public abstract class Seq2SeqDecoderState
{
    /// <summary>Hypotheses decoded side by side (sources × beams).</summary>
    public int Rows { get; init; }

    /// <summary>Target positions fed so far.</summary>
    public int Steps { get; set; }
}

/// <summary>
/// An encoder–decoder translation model with its byte-level BPE tokenizers. Subclasses give teacher-forced logits
/// for training and a step-wise decoder (start, step, reorder rows) that greedy and beam search drive
/// (<see cref="Seq2SeqSearch"/>). Sources end with &lt;eos&gt;; targets are fed as &lt;bos&gt; y and predicted as
/// y &lt;eos&gt;.
/// </summary>
public abstract class Seq2SeqModel : Module
{
    private protected Seq2SeqModel(Seq2SeqConfig config, ByteBpeTokenizer sourceTokenizer, ByteBpeTokenizer targetTokenizer)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(sourceTokenizer);
        ArgumentNullException.ThrowIfNull(targetTokenizer);
        config.Validate();
        if (config.SharedVocab && !ReferenceEquals(sourceTokenizer, targetTokenizer) && sourceTokenizer.ToJson() != targetTokenizer.ToJson())
            throw new ArgumentException("Seq2SeqModel: a shared vocabulary needs the same tokenizer on both sides.");
        Config = config with { SourceVocab = sourceTokenizer.VocabSize, TargetVocab = targetTokenizer.VocabSize };
        SourceTokenizer = sourceTokenizer;
        TargetTokenizer = targetTokenizer;
        PadId = targetTokenizer.PadId ?? throw new ArgumentException("Seq2SeqModel: the target tokenizer has no <pad>.");
        BosId = targetTokenizer.BosId ?? throw new ArgumentException("Seq2SeqModel: the target tokenizer has no <bos>.");
        EosId = targetTokenizer.EosId ?? throw new ArgumentException("Seq2SeqModel: the target tokenizer has no <eos>.");
        SourceEosId = sourceTokenizer.EosId ?? throw new ArgumentException("Seq2SeqModel: the source tokenizer has no <eos>.");
        SourcePadId = sourceTokenizer.PadId ?? throw new ArgumentException("Seq2SeqModel: the source tokenizer has no <pad>.");
    }

    /// <summary>Architecture and sizes (with the trained vocabulary sizes filled in).</summary>
    public Seq2SeqConfig Config { get; }
    /// <summary>Tokenizer of the source language.</summary>
    public ByteBpeTokenizer SourceTokenizer { get; }
    /// <summary>Tokenizer of the target language (the same object when the vocabulary is shared).</summary>
    public ByteBpeTokenizer TargetTokenizer { get; }
    /// <summary>Target padding id (ignored by the loss).</summary>
    public int PadId { get; }
    /// <summary>Target start id.</summary>
    public int BosId { get; }
    /// <summary>Target end id.</summary>
    public int EosId { get; }
    /// <summary>Source end id.</summary>
    public int SourceEosId { get; }
    /// <summary>Source padding id.</summary>
    public int SourcePadId { get; }

    /// <summary>A fresh model of <paramref name="config"/>'s architecture around the given tokenizers.</summary>
    public static Seq2SeqModel Create(Seq2SeqConfig config, ByteBpeTokenizer sourceTokenizer, ByteBpeTokenizer targetTokenizer)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Arch switch
        {
            Seq2SeqArch.Rnn => new RnnSeq2Seq(config, sourceTokenizer, targetTokenizer),
            Seq2SeqArch.Transformer => new TransformerSeq2Seq(config, sourceTokenizer, targetTokenizer),
            var other => throw new ArgumentOutOfRangeException(nameof(config), other, "Seq2SeqModel: unknown architecture."),
        };
    }

    /// <summary>
    /// A fresh model whose byte-level BPE vocabularies are trained on <paramref name="corpus"/>: one over both sides
    /// when <see cref="Seq2SeqConfig.SharedVocab"/>, else one per side, each of <see cref="Seq2SeqConfig.VocabSize"/>.
    /// </summary>
    public static Seq2SeqModel Create(Seq2SeqConfig config, ParallelCorpus corpus)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(corpus);
        config.Validate();
        var sources = new List<string>(corpus.Count);
        var targets = new List<string>(corpus.Count);
        foreach (var pair in corpus.Pairs)
        {
            sources.Add(pair.Source);
            targets.Add(pair.Target);
        }
        if (config.SharedVocab)
        {
            var shared = ByteBpeTokenizer.Train([.. sources, .. targets], config.VocabSize);
            return Create(config, shared, shared);
        }
        return Create(config, ByteBpeTokenizer.Train(sources, config.VocabSize), ByteBpeTokenizer.Train(targets, config.VocabSize));
    }

    /// <summary>Source ids with the closing &lt;eos&gt;.</summary>
    public int[] EncodeSource(string text) => SourceTokenizer.Encode(text, addBos: false, addEos: true);

    /// <summary>Target ids y (no specials).</summary>
    public int[] EncodeTarget(string text) => TargetTokenizer.Encode(text);

    /// <summary>Text of target ids, stopping at the first &lt;eos&gt; and skipping specials.</summary>
    public string DecodeTarget(ReadOnlySpan<int> ids)
    {
        int end = ids.IndexOf(EosId);
        if (end >= 0) ids = ids[..end];
        var kept = new List<int>(ids.Length);
        foreach (int id in ids)
            if (id != PadId && id != BosId) kept.Add(id);
        return TargetTokenizer.Decode(kept.ToArray());
    }

    /// <summary>Teacher-forced logits: sources (B, S) and decoder inputs &lt;bos&gt; y (B, T) → (B, T, V_tgt).</summary>
    public abstract Tensor Logits(PaddedBatch source, PaddedBatch targetInput);

    /// <summary>Encodes <paramref name="source"/> with every row repeated <paramref name="repeat"/> times (beams), ready to decode up to <paramref name="maxSteps"/> positions.</summary>
    public abstract Seq2SeqDecoderState Start(PaddedBatch source, int repeat, int maxSteps);

    /// <summary>Feeds one token per row (the previous output, &lt;bos&gt; first) → next-token logits (Rows, V_tgt). No autograd.</summary>
    public abstract Tensor Step(Seq2SeqDecoderState state, int[] tokens);

    /// <summary>Row i continues old row <paramref name="rows"/>[i] (beam search keeps the best continuations).</summary>
    public abstract void SelectRows(Seq2SeqDecoderState state, int[] rows);

    /// <summary>Teacher-forced mean cross-entropy over the non-padding target positions.</summary>
    public Tensor Loss(PaddedBatch source, PaddedBatch targetInput, PaddedBatch targetOutput, float labelSmoothing = 0f)
    {
        ArgumentNullException.ThrowIfNull(targetOutput);
        var logits = Logits(source, targetInput); // (B, T, V)
        return Tensor.CrossEntropy(logits, new IntTensor(targetOutput.Ids, targetOutput.B, targetOutput.T), PadId, labelSmoothing);
    }

    /// <summary>Repeats every row of a padded batch <paramref name="times"/> times (row r → rows r·k … r·k+k−1).</summary>
    protected static PaddedBatch Repeat(PaddedBatch batch, int times)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (times == 1) return batch;
        int b = batch.B, t = batch.T;
        var ids = new int[b * times * t];
        var lengths = new int[b * times];
        for (int r = 0; r < b; r++)
            for (int k = 0; k < times; k++)
            {
                batch.Ids.AsSpan(r * t, t).CopyTo(ids.AsSpan((r * times + k) * t, t));
                lengths[r * times + k] = batch.Lengths[r];
            }
        return new PaddedBatch(ids, lengths, t);
    }

    /// <summary>Sinusoidal positions (n, C): sin at even features, cos at odd ones (Vaswani et al.); exporters read it too.</summary>
    public static Tensor SinusoidalTable(int n, int dim)
    {
        var table = new float[n * dim];
        for (int p = 0; p < n; p++)
            for (int i = 0; i < dim; i += 2)
            {
                double angle = p / Math.Pow(10000.0, (double)i / dim);
                table[p * dim + i] = (float)Math.Sin(angle);
                if (i + 1 < dim) table[p * dim + i + 1] = (float)Math.Cos(angle);
            }
        return Tensor.FromArray(table, n, dim);
    }
}
