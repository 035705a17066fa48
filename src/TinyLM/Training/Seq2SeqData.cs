using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.Training;

/// <summary>A parallel corpus as model ids: sources end with &lt;eos&gt;, targets carry no specials.</summary>
public sealed class Seq2SeqData
{
    private Seq2SeqData(int[][] sources, int[][] targets, int filtered)
    {
        Sources = sources;
        Targets = targets;
        Filtered = filtered;
    }

    public int[][] Sources { get; }
    public int[][] Targets { get; }
    /// <summary>Pairs left out for length.</summary>
    public int Filtered { get; }
    public int Count => Sources.Length;

    /// <summary>
    /// Encodes <paramref name="corpus"/>. With <paramref name="filter"/>, pairs longer than <paramref name="maxLength"/>
    /// tokens on either side are dropped (counted); otherwise such a pair is an error naming its file and line.
    /// </summary>
    public static Seq2SeqData Encode(Seq2SeqModel model, ParallelCorpus corpus, int maxLength, bool filter)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(corpus);
        var sources = new List<int[]>(corpus.Count);
        var targets = new List<int[]>(corpus.Count);
        int filtered = 0;
        foreach (var pair in corpus.Pairs)
        {
            var s = model.EncodeSource(pair.Source);
            var t = model.EncodeTarget(pair.Target);
            if (s.Length > maxLength || t.Length + 1 > maxLength)
            {
                if (!filter)
                    throw new DataFormatException(corpus.Source, pair.Line,
                        $"sentence pair of {s.Length}/{t.Length + 1} tokens is longer than the limit of {maxLength} tokens.");
                filtered++;
                continue;
            }
            sources.Add(s);
            targets.Add(t);
        }
        if (sources.Count == 0)
            throw new DataFormatException(corpus.Source, 0, $"every sentence pair is longer than {maxLength} tokens.");
        return new Seq2SeqData([.. sources], [.. targets], filtered);
    }

    /// <summary>Padded batches for the pairs at <paramref name="indices"/>: source, decoder input &lt;bos&gt; y, decoder output y &lt;eos&gt;.</summary>
    public (PaddedBatch Source, PaddedBatch TargetIn, PaddedBatch TargetOut) Batch(Seq2SeqModel model, int[] indices)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(indices);
        var inputs = new int[indices.Length][];
        var outputs = new int[indices.Length][];
        for (int i = 0; i < indices.Length; i++)
        {
            var y = Targets[indices[i]];
            inputs[i] = [model.BosId, .. y];
            outputs[i] = [.. y, model.EosId];
        }
        var all = new int[indices.Length];
        for (int i = 0; i < all.Length; i++) all[i] = i;
        return (Batching.Pad(Sources, indices, model.SourcePadId), Batching.Pad(inputs, all, model.PadId), Batching.Pad(outputs, all, model.PadId));
    }

    /// <summary>Longest side of every pair (for token-budget batching).</summary>
    public int[] PairLengths()
    {
        var lengths = new int[Count];
        for (int i = 0; i < lengths.Length; i++) lengths[i] = Math.Max(Sources[i].Length, Targets[i].Length + 1);
        return lengths;
    }
}
