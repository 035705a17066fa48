using System.Text.Json;
using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Text;
using static TinyLM.Compression.PruningUnits;

namespace TinyLM.Compression;

/// <summary>What structured pruning removes.</summary>
public enum StructuredPruning
{
    /// <summary>
    /// Hidden units of every layer: embedding width, recurrent units (all gate rows and columns), CNN filters;
    /// for a Transformer the MLP units (its residual width stays).
    /// </summary>
    Neurons,
    /// <summary>Attention heads of the Transformer encoder.</summary>
    Heads,
    /// <summary>The least frequent vocabulary entries (embedding rows and tokenizer words; they become OOV).</summary>
    Vocab,
}

/// <summary>
/// Structured pruning of a text classifier: removes whole units and returns a smaller dense model of the same file
/// format with a smaller config (the input is untouched). Units are ranked by the product of the norms of the weights
/// that feed them and the weights that read them, so a unit that is silent or ignored goes first; the same share is
/// removed from every layer. A removed unit behaves exactly like a unit whose weights are zero, which the tests check.
/// </summary>
public static class StructuredPruner
{
    /// <summary>Why <paramref name="kind"/> cannot prune <paramref name="config"/>'s model, or null when it can.</summary>
    public static string? NotApplicable(TextClassifierConfig config, StructuredPruning kind)
    {
        ArgumentNullException.ThrowIfNull(config);
        return kind switch
        {
            StructuredPruning.Heads when config.Encoder != EncoderKind.Transformer =>
                $"head pruning needs a transformer encoder, this model's encoder is {config.Encoder.ToString().ToLowerInvariant()} (try --structured neurons or vocab)",
            StructuredPruning.Vocab when config.BigramBuckets > 0 =>
                "vocabulary pruning would change the hashed bigram ids (they depend on word ids); this model uses bigram buckets",
            StructuredPruning.Vocab when config.WordBigrams =>
                "vocabulary pruning of a model with exact word bigrams is not supported (pair entries would outlive their words); try --structured neurons",
            StructuredPruning.Vocab when config.LinearSvmWeight > 0 =>
                "vocabulary pruning would drop terms the SVM head's tf-idf norms count; this model mixes one in (try --structured neurons)",
            StructuredPruning.Vocab when config.NaiveBayesWeight > 0 =>
                "vocabulary pruning would leave the naive Bayes head's per-word probabilities unnormalised; this model mixes one in (try --structured neurons)",
            _ => null,
        };
    }

    /// <summary>
    /// Removes a <paramref name="sparsity"/> share of the units <paramref name="kind"/> names. <paramref name="corpus"/>
    /// (training texts) ranks vocabulary entries by frequency; without it the tokenizer's own frequency order is used.
    /// </summary>
    public static TextClassifier Prune(TextClassifier model, StructuredPruning kind, double sparsity, IReadOnlyList<string>? corpus = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(sparsity > 0 && sparsity < 1)) throw new ArgumentOutOfRangeException(nameof(sparsity), sparsity, "structured pruning: sparsity must be in (0, 1).");
        if (!model.HasNetwork) throw new ArgumentException("structured pruning: the model is the linear SVM alone; it has no network to prune.");
        if (NotApplicable(model.Config, kind) is { } reason) throw new ArgumentException($"structured pruning: {reason}.");
        if (model.Quantization is not null)
            throw new ArgumentException($"structured pruning: the model is quantized ({model.Quantization}); prune its float32 original.");
        var p = model.NamedParameters().ToDictionary(x => x.Key, x => x.Value);
        return Build(model, p, Plan(model, p, kind, sparsity, corpus));
    }

    /// <summary>Which slices of which parameters survive, and the smaller model's config (and tokenizer, for vocab).</summary>
    internal sealed record PruningPlan(TextClassifierConfig Config, Dictionary<string, int[]?[]> Keep, WordTokenizer? Tokenizer = null);

    internal static PruningPlan Plan(TextClassifier model, Dictionary<string, Tensor> p, StructuredPruning kind, double sparsity,
        IReadOnlyList<string>? corpus) => kind switch
    {
        StructuredPruning.Neurons => Neurons(model, p, sparsity),
        StructuredPruning.Heads => PruningHeads.Plan(model, p, sparsity),
        StructuredPruning.Vocab => Vocab(model, p, sparsity, corpus),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown structured pruning kind"),
    };

    /// <summary>A new model with the plan's config whose parameters are the kept slices of the old ones.</summary>
    internal static TextClassifier Build(TextClassifier model, Dictionary<string, Tensor> p, PruningPlan plan)
    {
        var pruned = new TextClassifier(plan.Config, plan.Tokenizer ?? model.Tokenizer, model.Labels);
        foreach (var (name, target) in pruned.NamedParameters())
            Gather(p[name], target, plan.Keep.TryGetValue(name, out var k) ? k : new int[]?[target.Rank]);
        return pruned;
    }

    private static PruningPlan Neurons(TextClassifier model, Dictionary<string, Tensor> p, double sparsity)
    {
        var c = model.Config;
        var emb = p["embedding.weight"].AsSpan();
        var outW = p["output.weight"];
        int e = c.EmbedDim, f = outW.Dim(1);
        var keep = new Dictionary<string, int[]?[]>();
        var embedScore = new double[e];
        for (int i = 0; i < e; i++) embedScore[i] = ColumnSquares(emb, e, i);
        TextClassifierConfig config;
        switch (c.Encoder)
        {
            case EncoderKind.Bag:
            {
                for (int i = 0; i < e; i++) embedScore[i] *= ColumnSquares(outW.AsSpan(), f, i);
                var keepE = Strongest(embedScore, Kept(e, sparsity));
                keep["output.weight"] = [null, keepE];
                keep["embedding.weight"] = [null, keepE];
                config = c with { EmbedDim = keepE.Length };
                break;
            }
            case EncoderKind.Cnn:
                config = Cnn(c, p, sparsity, embedScore, keep);
                break;
            case EncoderKind.BiLstm or EncoderKind.BiGru:
                config = Recurrent(c, p, sparsity, embedScore, keep);
                break;
            case EncoderKind.Transformer:
                return PruningHeads.MlpPlan(model, p, sparsity);
            default:
                throw new ArgumentOutOfRangeException(nameof(model), c.Encoder, "unknown encoder");
        }
        return new PruningPlan(config, keep);
    }

    private static TextClassifierConfig Cnn(TextClassifierConfig c, Dictionary<string, Tensor> p, double sparsity, double[] embedScore,
        Dictionary<string, int[]?[]> keep)
    {
        int e = c.EmbedDim, h = c.Hidden, widths = c.KernelWidths.Length;
        var outW = p["output.weight"];
        int f = outW.Dim(1), keptH = Kept(h, sparsity);
        var readers = new double[e];
        var keepF = new int[widths][];
        for (int i = 0; i < widths; i++)
        {
            var w = p[$"encoder.conv{i}.weight"].AsSpan(); // (H, E, K)
            var bias = p.TryGetValue($"encoder.conv{i}.bias", out var b) ? b.AsSpan() : default;
            int k = c.KernelWidths[i];
            var score = new double[h];
            for (int o = 0; o < h; o++)
            {
                double input = RowSquares(w, e * k, o) + (bias.IsEmpty ? 0 : (double)bias[o] * bias[o]);
                score[o] = input * ColumnSquares(outW.AsSpan(), f, i * h + o);
                for (int j = 0; j < e; j++) readers[j] += RowSquares(w, k, o * e + j);
            }
            keepF[i] = Strongest(score, keptH);
        }
        for (int j = 0; j < e; j++) embedScore[j] *= readers[j];
        var keepE = Strongest(embedScore, Kept(e, sparsity));
        for (int i = 0; i < widths; i++)
        {
            keep[$"encoder.conv{i}.weight"] = [keepF[i], keepE, null];
            keep[$"encoder.conv{i}.bias"] = [keepF[i]];
        }
        keep["output.weight"] = [null, Concat(h, keepF)];
        keep["embedding.weight"] = [null, keepE];
        return c with { EmbedDim = keepE.Length, Hidden = keptH };
    }

    private static TextClassifierConfig Recurrent(TextClassifierConfig c, Dictionary<string, Tensor> p, double sparsity, double[] embedScore,
        Dictionary<string, int[]?[]> keep)
    {
        int e = c.EmbedDim, h = c.Hidden, layers = c.Layers, gates = c.Encoder == EncoderKind.BiLstm ? 4 : 3, keptH = Kept(h, sparsity);
        var outW = p["output.weight"];
        static string Name(string kind, int l, int d) => $"encoder.rnn.{kind}_l{l}{(d == 1 ? "_reverse" : "")}";
        var units = new int[layers][][];
        for (int l = 0; l < layers; l++)
        {
            units[l] = new int[2][];
            for (int d = 0; d < 2; d++)
            {
                var wih = p[Name("weight_ih", l, d)];
                var whh = p[Name("weight_hh", l, d)].AsSpan();
                int inputs = wih.Dim(1);
                var score = new double[h];
                for (int j = 0; j < h; j++)
                {
                    double input = 0;
                    for (int g = 0; g < gates; g++)
                        input += RowSquares(wih.AsSpan(), inputs, g * h + j) + RowSquares(whh, h, g * h + j);
                    double output = ColumnSquares(whh, h, j);
                    if (l < layers - 1)
                        for (int d2 = 0; d2 < 2; d2++) output += ColumnSquares(p[Name("weight_ih", l + 1, d2)].AsSpan(), 2 * h, d * h + j);
                    else output += ColumnSquares(outW.AsSpan(), 2 * h, d * h + j);
                    score[j] = input * output;
                }
                units[l][d] = Strongest(score, keptH);
            }
        }
        var readers = new double[e];
        for (int d = 0; d < 2; d++)
            for (int j = 0; j < e; j++) readers[j] += ColumnSquares(p[Name("weight_ih", 0, d)].AsSpan(), e, j);
        for (int j = 0; j < e; j++) embedScore[j] *= readers[j];
        var keepE = Strongest(embedScore, Kept(e, sparsity));
        for (int l = 0; l < layers; l++)
            for (int d = 0; d < 2; d++)
            {
                var rows = Blocks(units[l][d], h, gates);
                var inputs = l == 0 ? keepE : Concat(h, units[l - 1][0], units[l - 1][1]);
                keep[Name("weight_ih", l, d)] = [rows, inputs];
                keep[Name("weight_hh", l, d)] = [rows, units[l][d]];
                keep[Name("bias_ih", l, d)] = [rows];
                keep[Name("bias_hh", l, d)] = [rows];
            }
        keep["output.weight"] = [null, Concat(h, units[layers - 1][0], units[layers - 1][1])];
        keep["embedding.weight"] = [null, keepE];
        return c with { EmbedDim = keepE.Length, Hidden = keptH };
    }

    private static PruningPlan Vocab(TextClassifier model, Dictionary<string, Tensor> p, double sparsity, IReadOnlyList<string>? corpus)
    {
        var tokenizer = model.Words ?? throw new ArgumentException($"structured pruning: the vocabulary can be pruned for a word tokenizer only, not {model.Tokenizer.Kind}.");
        int first = tokenizer.OovId is null ? 1 : 2, words = tokenizer.VocabSize - first;
        if (words < 2) throw new ArgumentException($"structured pruning: the vocabulary has {words} word(s), nothing to prune.");
        // Without a corpus the tokenizer's ids are the frequency ranks of the data it was fitted on.
        var score = new double[words];
        if (corpus is { Count: > 0 })
        {
            foreach (var text in corpus)
                foreach (int id in tokenizer.Encode(text))
                    if (id >= first) score[id - first]++;
        }
        else for (int i = 0; i < words; i++) score[i] = words - i;
        var kept = Strongest(score, Kept(words, sparsity)); // ties: the originally more frequent (lower id) word
        var rows = new int[first + kept.Length];
        for (int i = 0; i < first; i++) rows[i] = i;
        for (int i = 0; i < kept.Length; i++) rows[first + i] = first + kept[i];

        var state = JsonSerializer.Deserialize(tokenizer.ToJson(), TextJsonContext.Default.WordTokenizerState)!;
        var allWords = state.Words!;
        state.Words = [.. kept.Select(i => allWords[i])];
        state.NumWords = first + kept.Length;
        var reduced = WordTokenizer.FromJson(JsonSerializer.Serialize(state, TextJsonContext.Default.WordTokenizerState));
        var keep = new Dictionary<string, int[]?[]> { ["embedding.weight"] = [rows, null] };
        return new PruningPlan(model.Config with { VocabSize = first + kept.Length }, keep, reduced);
    }
}
