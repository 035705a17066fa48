using System.Diagnostics;
using TinyLM.IO;
using TinyLM.Text;
using Xunit.Abstractions;

namespace TinyLM.Tests.Text;

/// <summary>
/// Checks against the real corpora in shared/datasets. Each test returns early when the data is
/// not on this machine (unit tests above cover the logic with data they make themselves).
/// </summary>
public class RealDatasetTests(ITestOutputHelper output)
{
    private static ResolvedDataset? Local(string name) =>
        new DatasetResolver { AllowDownload = false, DataDir = null }.FindLocal(name);

    [Fact]
    public void R8_train_has_5485_examples_and_8_labels()
    {
        if (Local("r8") is not ResolvedDataset r8)
            return;
        TextDataset train = TextDatasetReader.Read(r8.File("train.tsv"));
        Assert.Equal(5485, train.Count);
        Assert.Equal(0, train.SkippedLines);
        Assert.Equal(8, LabelMap.FromExamples(train.Examples).Count);
        Assert.Equal(2189, TextDatasetReader.Read(r8.File("test.tsv")).Count);
    }

    [Fact]
    public void Mr_and_multi30k_read_with_their_documented_sizes()
    {
        if (Local("mr") is ResolvedDataset mr)
        {
            TextDataset train = TextDatasetReader.Read(mr.File("train.tsv"));
            Assert.Equal(7108, train.Count);
            Assert.Equal(["neg", "pos"], LabelMap.FromExamples(train.Examples).Labels);
        }
        if (Local("multi30k") is ResolvedDataset m)
        {
            Assert.Equal(29000, ParallelCorpus.Read(m.File("train.de"), m.File("train.en")).Count);
            Assert.Equal(1014, ParallelCorpus.Read(m.File("val.de"), m.File("val.en")).Count);
        }
    }

    [Fact]
    public void Bpe_trains_on_tinyshakespeare_and_round_trips_it()
    {
        if (Local("tinyshakespeare") is not ResolvedDataset ts)
            return;
        string text = TextDatasetReader.ReadRawText(ts.File("input.txt"));
        var sw = Stopwatch.StartNew();
        var bpe = ByteBpeTokenizer.Train([text], vocabSize: 8192, minFrequency: 2);
        double trainSeconds = sw.Elapsed.TotalSeconds;
        sw.Restart();
        int[] ids = bpe.Encode(text);
        double encodeSeconds = sw.Elapsed.TotalSeconds;
        output.WriteLine($"BPE: {bpe.MergeCount} merges on {text.Length:N0} chars in {trainSeconds:F2} s; encode {encodeSeconds:F2} s → {ids.Length:N0} tokens");
        Assert.True(bpe.MergeCount > 5000);
        Assert.Equal(text, bpe.Decode(ids));
        Assert.True(ids.Length < text.Length / 3);
    }
}
