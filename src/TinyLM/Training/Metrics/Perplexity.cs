namespace TinyLM.Training;

/// <summary>Perplexity from cross-entropy: exp of the mean negative log-likelihood per token.</summary>
public static class Perplexity
{
    /// <summary>Perplexity from the mean cross-entropy in nats (natural log), as losses report it.</summary>
    public static double FromMeanCrossEntropy(double meanNats)
    {
        if (double.IsNaN(meanNats)) throw new ArgumentException("mean cross-entropy is NaN", nameof(meanNats));
        return Math.Exp(meanNats);
    }

    /// <summary>Perplexity from a summed negative log-likelihood (nats) over <paramref name="tokenCount"/> tokens.</summary>
    public static double FromTotalCrossEntropy(double totalNats, long tokenCount)
    {
        if (tokenCount <= 0) throw new ArgumentOutOfRangeException(nameof(tokenCount), tokenCount, "perplexity needs at least one token");
        return FromMeanCrossEntropy(totalNats / tokenCount);
    }

    /// <summary>Perplexity from the mean cross-entropy in bits (log base 2).</summary>
    public static double FromMeanCrossEntropyBits(double meanBits)
    {
        if (double.IsNaN(meanBits)) throw new ArgumentException("mean cross-entropy is NaN", nameof(meanBits));
        return Math.Pow(2.0, meanBits);
    }

    /// <summary>Bits per token (or per character, if the tokens are characters) from nats.</summary>
    public static double NatsToBits(double nats) => nats / Math.Log(2.0);
}
