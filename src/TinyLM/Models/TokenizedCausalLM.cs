using TinyLM.Text;

namespace TinyLM.Models;

/// <summary>A <see cref="CausalLM"/> with the tokenizer that maps text to its ids, ready to generate.</summary>
public sealed record TokenizedCausalLM
{
    /// <summary>Pairs a model with its tokenizer; the tokenizer's ids must fit the model's vocabulary.</summary>
    public TokenizedCausalLM(CausalLM model, ITokenizer tokenizer, string source = "model")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new ArgumentException($"{source}: the tokenizer has {tokenizer.VocabSize} tokens but the model's vocabulary is {model.Config.VocabSize} (vocabulary mismatch).");
        Model = model;
        Tokenizer = tokenizer;
    }

    /// <summary>The network.</summary>
    public CausalLM Model { get; }

    /// <summary>Text ↔ ids.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>Token put before every prompt (llama2.c: 1), or null for none.</summary>
    public int? BosId { get; init; }

    /// <summary>Token that ends generation (llama2.c: 2), or null for none.</summary>
    public int? EosId { get; init; }
}
