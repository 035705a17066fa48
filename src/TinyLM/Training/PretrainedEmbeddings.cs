using TinyLM.Models;
using TinyLM.Training.Vectors;

namespace TinyLM.Training;

/// <summary>How many rows of a classifier's embedding table a set of word vectors filled.</summary>
/// <param name="Found">Vocabulary words whose row now holds their vector.</param>
/// <param name="Words">Vocabulary words the table has rows for (padding and the OOV token excluded).</param>
public sealed record PretrainedEmbeddingReport(int Found, int Words)
{
    /// <summary>Vocabulary words with no vector: their rows keep the random initialisation.</summary>
    public int Missing => Words - Found;
}

/// <summary>
/// Initialises a classifier's word embeddings from pretrained word vectors (a .vec file read by the IO layer,
/// or vectors trained by <see cref="VectorTrainer"/>): each word of the classifier's vocabulary that has a vector gets
/// it as its row; words without one (and the padding, OOV and hashed bigram rows) keep their random start.
/// A word is looked up as spelled in the vocabulary, then lower-cased (a cased file such as word2vec's for a
/// lower-casing tokenizer); a vocabulary entry that is a word bigram has no vector.
/// Apply it to a fresh model before <see cref="ClassifierTrainer.Fit"/> with <see cref="ClassifierTrainOptions.WarmStartEpochs"/> = 0 (the
/// warm start would overwrite the table), and <see cref="ClassifierTrainOptions.FreezeEmbeddings"/> to keep the vectors as they are.
/// </summary>
public static class PretrainedEmbeddings
{
    /// <summary>Copies the vectors of <paramref name="model"/>'s vocabulary words into its embedding table.</summary>
    /// <exception cref="ArgumentException">The model has no word tokenizer or no network, or the vector width differs from the embedding width.</exception>
    public static PretrainedEmbeddingReport Apply(TextClassifier model, WordVectors vectors)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vectors);
        if (!model.HasNetwork)
            throw new ArgumentException("pretrained vectors: an SVM-only classifier has no embedding table to initialise.");
        var words = model.Words
                    ?? throw new ArgumentException($"pretrained vectors: need a word tokenizer to match words, got {model.Tokenizer.Kind}.");
        int dim = model.Embedding.EmbeddingDim;
        if (vectors.Dim != dim)
            throw new ArgumentException($"pretrained vectors: the vectors are {vectors.Dim} wide but the embedding is {dim} wide (set the embedding width to {vectors.Dim}).");

        var exact = new Dictionary<string, int>(vectors.Words.Count, StringComparer.Ordinal);
        var folded = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < vectors.Words.Count; i++)
        {
            exact.TryAdd(vectors.Words[i], i); // the first of repeated words wins, as in fastText's reader
            folded.TryAdd(vectors.Words[i].ToLowerInvariant(), i);
        }

        var table = model.Embedding.Weight.AsSpan();
        int found = 0, total = 0;
        foreach (var (word, id) in words.WordIndex)
        {
            if (id == 0 || id == words.OovId) continue;
            total++;
            if (!exact.TryGetValue(word, out int row) && !folded.TryGetValue(word, out row)) continue;
            vectors.Row(row).CopyTo(table.Slice(id * dim, dim));
            found++;
        }
        return new PretrainedEmbeddingReport(found, total);
    }
}
