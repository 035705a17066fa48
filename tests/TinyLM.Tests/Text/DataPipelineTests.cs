using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Tests.Text;

public class DataPipelineTests
{
    [Fact]
    public void Label_map_is_sorted_and_order_independent()
    {
        LabelMap a = LabelMap.FromLabels(["pos", "neg", "pos", "neutral"]);
        LabelMap b = LabelMap.FromLabels(["neutral", "pos", "neg"]);
        Assert.Equal(["neg", "neutral", "pos"], a.Labels);
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal(2, a.IndexOf("pos"));
        Assert.Equal("neutral", a[1]);
        var ex = Assert.Throws<KeyNotFoundException>(() => a.IndexOf("mixed"));
        Assert.Contains("neg, neutral, pos", ex.Message);
        Assert.Equal(a.Labels, LabelMap.FromJson(a.ToJson()).Labels);
        Assert.Throws<DataFormatException>(() => LabelMap.FromJson("[\"b\",\"a\"]"));
    }

    [Fact]
    public void Stratified_split_keeps_class_proportions_and_is_seeded()
    {
        int[] labels = [.. Enumerable.Range(0, 100).Select(i => i < 80 ? 0 : i < 95 ? 1 : 2)];
        (int[] train, int[] val) = DataSplits.StratifiedSplit(labels, 0.2, seed: 42);
        Assert.Equal(100, train.Length + val.Length);
        Assert.Empty(train.Intersect(val));
        Assert.Equal(16, val.Count(i => labels[i] == 0));
        Assert.Equal(3, val.Count(i => labels[i] == 1));
        Assert.Equal(1, val.Count(i => labels[i] == 2));
        (int[] train2, int[] val2) = DataSplits.StratifiedSplit(labels, 0.2, seed: 42);
        Assert.Equal(val, val2);
        Assert.Equal(train, train2);
        (_, int[] val3) = DataSplits.StratifiedSplit(labels, 0.2, seed: 43);
        Assert.NotEqual(val, val3);
    }

    [Fact]
    public void Shuffled_indices_are_a_seeded_permutation()
    {
        int[] p = DataSplits.ShuffledIndices(1000, 5);
        Assert.Equal(Enumerable.Range(0, 1000), p.Order());
        Assert.Equal(p, DataSplits.ShuffledIndices(1000, 5));
        Assert.NotEqual(p, DataSplits.ShuffledIndices(1000, 6));
        Assert.NotEqual(Enumerable.Range(0, 1000), p);
    }

    [Fact]
    public void Rng_bounded_integers_are_in_range_and_roughly_uniform()
    {
        var rng = new SplitMix64(1);
        int[] counts = new int[7];
        for (int i = 0; i < 70000; i++)
            counts[rng.NextInt(7)]++;
        Assert.All(counts, c => Assert.InRange(c, 9400, 10600));
    }

    [Fact]
    public void Length_buckets_cover_every_index_once_and_group_similar_lengths()
    {
        var rngLengths = new SplitMix64(9);
        int[] lengths = [.. Enumerable.Range(0, 1000).Select(_ => 1 + rngLengths.NextInt(100))];
        List<int[]> batches = Batching.LengthBucketed(lengths, batchSize: 16, seed: 1, chunkBatches: 10);
        Assert.Equal(Enumerable.Range(0, 1000), batches.SelectMany(b => b).Order());
        Assert.All(batches.Take(batches.Count - 1), b => Assert.True(b.Length <= 16));
        double bucketedSpread = batches.Average(b => b.Max(i => lengths[i]) - b.Min(i => lengths[i]));
        List<int[]> random = Batching.Sequential(1000, 16);
        double randomSpread = random.Average(b => b.Max(i => lengths[i]) - b.Min(i => lengths[i]));
        Assert.True(bucketedSpread < randomSpread / 4, $"bucketed spread {bucketedSpread}, random {randomSpread}");
        Assert.Equal(batches, Batching.LengthBucketed(lengths, 16, seed: 1, chunkBatches: 10));
        Assert.NotEqual(batches, Batching.LengthBucketed(lengths, 16, seed: 2, chunkBatches: 10));
        Assert.Equal(62, Batching.LengthBucketed(lengths, 16, seed: 1, dropLast: true).Count);
    }

    [Fact]
    public void Unshuffled_buckets_are_sorted_by_length()
    {
        int[] lengths = [5, 1, 3, 1, 2];
        List<int[]> batches = Batching.LengthBucketed(lengths, 2, seed: 0, shuffle: false);
        Assert.Equal([[1, 3], [4, 2], [0]], batches);
    }

    [Fact]
    public void Padded_batch_is_row_major_with_lengths()
    {
        int[][] seqs = [[1, 2, 3], [4], [], [5, 6, 7, 8, 9]];
        PaddedBatch b = Batching.Pad(seqs, [0, 1, 2], padId: 0);
        Assert.Equal(3, b.T);
        Assert.Equal(3, b.B);
        Assert.Equal([1, 2, 3, 4, 0, 0, 0, 0, 0], b.Ids);
        Assert.Equal([3, 1, 0], b.Lengths);

        PaddedBatch capped = Batching.Pad(seqs, [3, 0], padId: -1, maxLength: 4);
        Assert.Equal(4, capped.T);
        Assert.Equal([5, 6, 7, 8, 1, 2, 3, -1], capped.Ids);
        Assert.Equal([4, 3], capped.Lengths);
        PaddedBatch keepEnd = Batching.Pad(seqs, [3], maxLength: 2, truncating: PadSide.Pre);
        Assert.Equal([8, 9], keepEnd.Ids);
        Assert.Equal(1, Batching.Pad(seqs, [2]).T);
    }

    [Fact]
    public void Keras_style_padding_defaults_to_pre()
    {
        int[][] seqs = [[1, 2, 3, 4], [5]];
        Assert.Equal([2, 3, 4, 0, 0, 5], Sequences.Pad(seqs, 3));
        Assert.Equal([1, 2, 3, 5, 9, 9], Sequences.Pad(seqs, 3, PadSide.Post, PadSide.Post, value: 9));
        Assert.Equal([3, 4], Sequences.Truncate([1, 2, 3, 4], 2).ToArray());
    }
}
