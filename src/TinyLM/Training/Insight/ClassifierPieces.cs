using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.Training.Insight;

/// <summary>
/// The text each id of <see cref="ClassifierInputs.Encode"/> stands for. A hashed word-bigram id (≥ the tokenizer's
/// vocabulary, appended after the n word ids, one per adjacent pair) reads as the two words it hashes, "oil prices";
/// a vocabulary bigram (word bigrams) is already spelled that way.
/// </summary>
public static class ClassifierPieces
{
    public static string[] Of(TextClassifier model, int[] ids)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(ids);
        var tokenizer = model.Tokenizer;
        int words = 0;
        while (words < ids.Length && ids[words] < tokenizer.VocabSize) words++;
        var pieces = new string[ids.Length];
        for (int i = 0; i < words; i++) pieces[i] = TokenPieces.Of(tokenizer, ids[i]);
        // Hashed pairs follow the words in order: pair j joins words j and j + 1.
        for (int i = words; i < ids.Length; i++)
        {
            int pair = i - words;
            pieces[i] = pair + 1 < words ? pieces[pair] + " " + pieces[pair + 1] : $"<bigram {ids[i] - tokenizer.VocabSize}>";
        }
        return pieces;
    }
}
