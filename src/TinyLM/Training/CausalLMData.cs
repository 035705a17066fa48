using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Training;

/// <summary>
/// A tokenized corpus for language modelling: the first part for training and the last part for validation (so the
/// two never overlap), and random context windows drawn from either.
/// </summary>
public sealed class CausalLMData
{
    /// <summary>Splits <paramref name="ids"/>: the last <paramref name="validFraction"/> is validation.</summary>
    public CausalLMData(int[] ids, int context, double validFraction = 0.1, string source = "corpus")
    {
        ArgumentNullException.ThrowIfNull(ids);
        int split = (int)(ids.Length * (1 - validFraction));
        Train = ids[..split];
        Valid = ids[split..];
        Context = context;
        if (Train.Length <= context || Valid.Length <= context)
            throw new ArgumentException($"{source}: {ids.Length} tokens are too few for context {context} (each split needs more than {context}; train {Train.Length}, valid {Valid.Length}).");
    }

    /// <summary>Training token ids.</summary>
    public int[] Train { get; }
    /// <summary>Validation token ids.</summary>
    public int[] Valid { get; }
    /// <summary>Window length T.</summary>
    public int Context { get; }

    /// <summary>Tokenizes a raw text with a char tokenizer or a byte-level BPE trained on its training part.</summary>
    public static (ITokenizer Tokenizer, int[] Ids) Tokenize(string text, string tokenizer, int vocabSize = 512, double validFraction = 0.1)
    {
        ArgumentNullException.ThrowIfNull(text);
        ITokenizer tok = tokenizer switch
        {
            "char" => CharTokenizer.Fit(text),
            // Trained on the training part only, so validation stays unseen; lines keep merges from crossing them.
            "bpe" => ByteBpeTokenizer.Train(text[..(int)(text.Length * (1 - validFraction))].Split('\n'), vocabSize),
            _ => throw new ArgumentException($"CausalLMData.Tokenize: unknown tokenizer '{tokenizer}' (expected char or bpe)."),
        };
        return (tok, tok.Encode(text));
    }

    /// <summary>
    /// A batch of <paramref name="batch"/> random windows from <paramref name="ids"/>: inputs x (B, T) and targets y (B, T),
    /// y shifted one token right of x.
    /// </summary>
    public (IntTensor X, IntTensor Y) Batch(int[] ids, int batch, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(rng);
        int t = Context;
        var x = new int[batch * t];
        var y = new int[batch * t];
        for (int b = 0; b < batch; b++)
        {
            int start = rng.NextInt(ids.Length - t);
            Array.Copy(ids, start, x, b * t, t);
            Array.Copy(ids, start + 1, y, b * t, t);
        }
        return (new IntTensor(x, batch, t), new IntTensor(y, batch, t));
    }
}
