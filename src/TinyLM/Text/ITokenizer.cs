namespace TinyLM.Text;

/// <summary>Common surface of every tokenizer: text to ids and back, plus a JSON state.</summary>
public interface ITokenizer
{
    /// <summary>Short name stored in the JSON state: <c>word</c>, <c>char</c> or <c>bytebpe</c>.</summary>
    string Kind { get; }

    /// <summary>Number of distinct ids; every id produced lies in [0, VocabSize).</summary>
    int VocabSize { get; }

    /// <summary>Id used for padding, or null when the tokenizer reserves none.</summary>
    int? PadId { get; }

    int[] Encode(string text);

    string Decode(ReadOnlySpan<int> ids);

    /// <summary>Serialises the complete state; <see cref="Tokenizers.FromJson"/> reads it back.</summary>
    string ToJson();
}
