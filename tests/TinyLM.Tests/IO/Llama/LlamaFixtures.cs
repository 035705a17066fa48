using System.Text;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Tests.IO.Llama;

/// <summary>Tiny llama2.c-style tokenizers and models made in memory (no downloads).</summary>
internal static class LlamaFixtures
{
    private static readonly string[] _merges =
    [
        "th", "he", " t", " th", "the", " the", "in", "er", "an", " a", "on", "re", "at", "nd", " an", " and",
        "ou", "en", "es", " s", "is", " i", "it", " o", "or", "ed", " w", "ing", "in", " b", "ll", "ar", " c",
        " f", "to", " to", " h", " he", "ca", "at", "cat", " cat", " sat", "sa", "sat", "ne", "one", " one",
    ];

    /// <summary>
    /// A llama2.c-layout tokenizer: &lt;unk&gt;, BOS, EOS, 256 byte pieces, printable ASCII characters with
    /// low scores, then merged pieces with descending scores (earlier merges win).
    /// </summary>
    public static LlamaTokenizer Tokenizer()
    {
        var pieces = new List<string> { "<unk>", "\n<s>\n", "\n</s>\n" };
        var scores = new List<float> { 0f, 0f, 0f };
        for (int b = 0; b < 256; b++)
        {
            pieces.Add($"<0x{b:X2}>");
            scores.Add(0f);
        }
        for (char ch = ' '; ch <= '~'; ch++)
        {
            pieces.Add(ch.ToString());
            scores.Add(-1000f - ch);
        }
        float score = -1f;
        foreach (string m in _merges)
        {
            if (pieces.Contains(m)) continue;
            pieces.Add(m);
            scores.Add(score);
            score -= 1f;
        }
        return new LlamaTokenizer([.. pieces.Select(Encoding.UTF8.GetBytes)], scores);
    }

    /// <summary>dim 64, hidden 192, 2 layers, 4 heads, 2 kv heads, the tokenizer's vocabulary, context 128.</summary>
    public static LlamaShape TinyShape(int vocab, bool shared = true) => new(64, 192, 2, 4, 2, vocab, 128, shared);

    /// <summary>
    /// A tiny llama model trained here for a few AdamW steps on a repeated sentence (so its next-token
    /// distributions are peaked like a real model's); returns the model and its first and last loss.
    /// </summary>
    public static (CausalLM Model, float FirstLoss, float LastLoss) Trained(LlamaTokenizer tok, int layers = 1, int steps = 30)
    {
        var config = LlamaConversion.ToConfig(TinyShape(tok.VocabSize)) with { Layers = layers, Seed = 5 };
        var model = new CausalLM(config);
        int[] ids = tok.Encode("the cat sat on the mat and the cat sat on one hat and the one cat sat", addBos: true, addEos: false);
        var input = new IntTensor(ids[..^1], 1, ids.Length - 1);
        var target = new IntTensor(ids[1..], 1, ids.Length - 1);
        var opt = new AdamW(model, learningRate: 1e-2f);
        float first = 0f, last = 0f;
        for (int step = 0; step < steps; step++)
        {
            opt.ZeroGrad();
            Tensor loss = model.Loss(input, target);
            loss.Backward();
            opt.Step();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        return (model, first, last);
    }

    public static LlamaWeights TinyWeights(int vocab, bool shared = true, ulong seed = 7, float std = 0.08f) =>
        LlamaWeights.Random(TinyShape(vocab, shared), seed, std);
}

/// <summary>A scratch folder removed when the test ends.</summary>
internal sealed class ScratchDir : IDisposable
{
    public ScratchDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tinylm-llama-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
