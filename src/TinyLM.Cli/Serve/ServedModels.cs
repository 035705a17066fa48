using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Models;

namespace TinyLM.Cli.Serve;

/// <summary>A model loaded by <c>tinylm serve</c>, addressed by <see cref="Name"/>.</summary>
public sealed class ServedModel
{
    private ServedModel(string name, string path) { Name = name; Path = path; }

    public string Name { get; }
    public string Path { get; }
    public TextClassifier? Classifier { get; private init; }
    public ClassifyBatcher? Batcher { get; private init; }
    public TokenizedCausalLM? CausalLM { get; private init; }
    /// <summary>One generation at a time per language model (its kernels already use every core).</summary>
    public SemaphoreSlim GenerateGate { get; } = new(1, 1);
    public string Kind => Classifier is not null ? "classifier" : "causal_lm";

    /// <summary>Loads "PATH" (named by its file stem) or "NAME=PATH"; a .tlm classifier or causal LM, or a GGUF/llama2.c LM.</summary>
    public static ServedModel Load(string spec, string? tokenizer, ServeOptions options, ServeMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(spec);
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
                    return new ServedModel(name, path) { Classifier = classifier, Batcher = new ClassifyBatcher(classifier, options.MaxBatch, options.BatchWait, metrics) };
                case ModelKind.CausalLM:
                    return new ServedModel(name, path) { CausalLM = CausalLMFile.FromContents(contents, path) };
                default:
                    throw new CliError($"{path}: a {contents.Kind} model; serve runs classifiers and causal language models.", ExitCodes.BadInput);
            }
        }
        return new ServedModel(name, path) { CausalLM = CausalLMLoader.Load(path, tokenizer) };
    }
}
