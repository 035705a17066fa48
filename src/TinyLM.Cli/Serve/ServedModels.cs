using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Models;

namespace TinyLM.Cli.Serve;

/// <summary>One sentence to translate: its source ids and the beam width its request asked for.</summary>
public readonly record struct TranslateItem(int[] Source, int Beam);

/// <summary>A model loaded by <c>tinylm serve</c>, addressed by <see cref="Name"/>.</summary>
public sealed class ServedModel : IAsyncDisposable
{
    private ServedModel(string name, string path) { Name = name; Path = path; }

    public string Name { get; }
    public string Path { get; }
    public TextClassifier? Classifier { get; private init; }
    /// <summary>Batches concurrent classify requests: texts → class probabilities.</summary>
    public DynamicBatcher<string, float[]>? ClassifyBatcher { get; private init; }
    public Seq2SeqModel? Translator { get; private init; }
    /// <summary>Batches concurrent translate requests: source ids → translations.</summary>
    public DynamicBatcher<TranslateItem, string>? TranslateBatcher { get; private init; }
    public TokenizedCausalLM? CausalLM { get; private init; }
    /// <summary>One generation at a time per language model (its kernels already use every core).</summary>
    public SemaphoreSlim GenerateGate { get; } = new(1, 1);
    public string Kind => Classifier is not null ? "classifier" : Translator is not null ? "seq2seq" : "causal_lm";

    /// <summary>Loads "PATH" (named by its file stem) or "NAME=PATH"; a .tlm classifier, translation model or causal LM, or a GGUF/llama2.c LM.</summary>
    public static ServedModel Load(string spec, string? tokenizer, ServeOptions options, ServeMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        int eq = spec.IndexOf('=', StringComparison.Ordinal);
        string path = eq > 0 ? spec[(eq + 1)..] : spec;
        string name = eq > 0 ? spec[..eq] : System.IO.Path.GetFileNameWithoutExtension(path);
        if (name.Length == 0) throw new CliError($"serve: '{spec}' has an empty model name.", ExitCodes.Usage);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such model file.", path);
        if (path.EndsWith(ModelFile.Extension, StringComparison.OrdinalIgnoreCase))
        {
            var contents = ModelFile.Load(path);
            switch (contents.Kind)
            {
                case ModelKind.Classifier:
                    var classifier = TextClassifierFile.FromContents(contents, path);
                    return new ServedModel(name, path)
                    {
                        Classifier = classifier,
                        ClassifyBatcher = new(texts => classifier.PredictProbabilities(texts, batchSize: Math.Max(1, texts.Count)), options.MaxBatch, options.BatchWait, metrics),
                    };
                case ModelKind.Seq2Seq:
                    var translator = Seq2SeqFile.FromContents(contents, path);
                    return new ServedModel(name, path)
                    {
                        Translator = translator,
                        TranslateBatcher = new(items => Translate(translator, items, options.LengthPenalty), options.MaxBatch, options.BatchWait, metrics),
                    };
                case ModelKind.CausalLM:
                    return new ServedModel(name, path) { CausalLM = CausalLMFile.FromContents(contents, path) };
                default:
                    throw new CliError($"{path}: a {contents.Kind} model; serve runs classifiers, translation models and causal language models.", ExitCodes.BadInput);
            }
        }
        return new ServedModel(name, path) { CausalLM = CausalLMLoader.Load(path, tokenizer) };
    }

    /// <summary>One batched decode per beam width among <paramref name="items"/> (a beam search runs one width at a time).</summary>
    private static string[] Translate(Seq2SeqModel model, List<TranslateItem> items, float lengthPenalty)
    {
        var results = new string[items.Count];
        foreach (var group in Enumerable.Range(0, items.Count).GroupBy(i => items[i].Beam))
        {
            int[] rows = [.. group];
            var options = new SearchOptions { Beam = group.Key, LengthPenalty = lengthPenalty, BatchSize = rows.Length };
            var ids = Seq2SeqSearch.Decode(model, [.. rows.Select(i => items[i].Source)], options);
            for (int r = 0; r < rows.Length; r++) results[rows[r]] = model.DecodeTarget(ids[r]);
        }
        return results;
    }

    public async ValueTask DisposeAsync()
    {
        if (ClassifyBatcher is not null) await ClassifyBatcher.DisposeAsync().ConfigureAwait(false);
        if (TranslateBatcher is not null) await TranslateBatcher.DisposeAsync().ConfigureAwait(false);
    }
}
