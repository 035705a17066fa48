namespace TinyLM.IO;

/// <summary>The task a model file holds; decides which model class can load it.</summary>
public enum ModelKind
{
    /// <summary>Text classifier (sentiment, topics): text in, one label out.</summary>
    Classifier,

    /// <summary>Decoder-only generative model (GPT/llama style).</summary>
    CausalLM,

    /// <summary>Encoder-decoder model (translation).</summary>
    Seq2Seq,

    /// <summary>Image classifier (small CNN): an image in, one label out.</summary>
    ImageClassifier,
}

public static class ModelKindExtensions
{
    /// <summary>The name stored in files and printed by the CLI.</summary>
    public static string ToFileName(this ModelKind kind) => kind switch
    {
        ModelKind.Classifier => "classifier",
        ModelKind.CausalLM => "causal-lm",
        ModelKind.Seq2Seq => "seq2seq",
        ModelKind.ImageClassifier => "image-classifier",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown model kind"),
    };

    public static bool TryParseFileName(string name, out ModelKind kind)
    {
        switch (name)
        {
            case "classifier": kind = ModelKind.Classifier; return true;
            case "causal-lm": kind = ModelKind.CausalLM; return true;
            case "seq2seq": kind = ModelKind.Seq2Seq; return true;
            case "image-classifier": kind = ModelKind.ImageClassifier; return true;
            default: kind = default; return false;
        }
    }
}
