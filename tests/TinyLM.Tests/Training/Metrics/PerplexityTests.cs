using TinyLM.Training;

namespace TinyLM.Tests.Training.Metrics;

public class PerplexityTests
{
    [Fact]
    public void Uniform_model_over_v_tokens_has_perplexity_v()
    {
        // A uniform distribution over 65 characters has cross-entropy ln(65) per token.
        Assert.Equal(65.0, Perplexity.FromMeanCrossEntropy(Math.Log(65)), 10);
        Assert.Equal(65.0, Perplexity.FromTotalCrossEntropy(10 * Math.Log(65), 10), 10);
        Assert.Equal(65.0, Perplexity.FromMeanCrossEntropyBits(Math.Log2(65)), 10);
        Assert.Equal(Math.Log2(65), Perplexity.NatsToBits(Math.Log(65)), 12);
        Assert.Equal(1.0, Perplexity.FromMeanCrossEntropy(0));
    }

    [Fact]
    public void Invalid_inputs_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Perplexity.FromMeanCrossEntropy(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => Perplexity.FromTotalCrossEntropy(1.0, 0));
    }
}
