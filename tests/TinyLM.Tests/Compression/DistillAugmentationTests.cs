using TinyLM.Compression;

namespace TinyLM.Tests.Compression;

public class DistillAugmentationTests
{
    private static readonly string[] Texts =
    [
        "oil prices rose as crude stocks fell in the week to friday said the energy department report today",
        "wheat harvest",
        "",
    ];

    [Fact]
    public void Copies_are_subsequences_of_their_source_and_repeat_for_the_same_seed()
    {
        var a = DistillAugmentation.Perturb(Texts, copies: 5, dropProbability: 0.2f, seed: 7);
        Assert.Equal(a, DistillAugmentation.Perturb(Texts, 5, 0.2f, 7));
        Assert.NotEqual(a, DistillAugmentation.Perturb(Texts, 5, 0.2f, 8));
        Assert.InRange(a.Count, 5, 10); // the empty text gives nothing; "wheat harvest" may lose both words
        var source = Texts[0].Split(' ');
        foreach (var copy in a.Where(c => c.Split(' ').Length > 2))
        {
            // Every copy keeps words in their original order.
            int at = 0;
            foreach (var word in copy.Split(' '))
            {
                while (at < source.Length && source[at] != word) at++;
                Assert.True(at < source.Length, $"'{copy}' is not a subsequence of the source");
                at++;
            }
        }
    }

    [Fact]
    public void No_drop_and_no_copies_are_identities()
    {
        Assert.Empty(DistillAugmentation.Perturb(Texts, 0, 0.2f, 1));
        var kept = DistillAugmentation.Perturb(["a b c"], 3, 0f, 1);
        Assert.Equal(["a b c", "a b c", "a b c"], kept);
        Assert.Throws<ArgumentOutOfRangeException>(() => DistillAugmentation.Perturb(Texts, -1, 0.2f, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => DistillAugmentation.Perturb(Texts, 1, 1f, 1));
    }
}
