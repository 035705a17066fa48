namespace TinyLM.Training.Vectors;

public enum VectorModel { SkipGram, Cbow }

/// <summary>Settings of <see cref="VectorTrainer"/>; the defaults follow the word2vec/fastText papers.</summary>
public sealed record VectorTrainOptions
{
    public VectorModel Model { get; init; } = VectorModel.SkipGram;
    public int Dim { get; init; } = 100;
    public int Window { get; init; } = 5;
    public int Negatives { get; init; } = 5;
    public int MinCount { get; init; } = 5;
    public int Epochs { get; init; } = 5;
    public float LearningRate { get; init; } = 0.05f;
    /// <summary>Shortest and longest character n-gram (of "&lt;word&gt;") added to a word's input vector; 0 disables.</summary>
    public int MinN { get; init; } = 3;
    public int MaxN { get; init; } = 6;
    /// <summary>Number of hash buckets for character n-grams.</summary>
    public int Buckets { get; init; } = 2_000_000;
    /// <summary>Subsampling threshold t: a word of frequency f is kept with probability sqrt(t/f) + t/f.</summary>
    public double Sample { get; init; } = 1e-4;
    public int Threads { get; init; } = Environment.ProcessorCount;
    public ulong Seed { get; init; } = 1;

    public void Validate()
    {
        if (Dim < 1) throw new ArgumentException("--dim must be at least 1");
        if (Window < 1) throw new ArgumentException("--window must be at least 1");
        if (Negatives < 1) throw new ArgumentException("--neg must be at least 1");
        if (MinCount < 1) throw new ArgumentException("--min-count must be at least 1");
        if (Epochs < 1) throw new ArgumentException("--epochs must be at least 1");
        if (!(LearningRate > 0)) throw new ArgumentException("--lr must be positive");
        if (MinN < 0 || MaxN < 0 || (MinN > 0 && MaxN < MinN) || (MinN == 0) != (MaxN == 0))
            throw new ArgumentException("--minn/--maxn: both 0 (no character n-grams) or 1 <= minn <= maxn");
        if (Threads < 1) throw new ArgumentException("--threads must be at least 1");
    }
}

/// <summary>Progress of a vector training run: words processed so far out of the total planned.</summary>
public readonly record struct VectorProgress(long WordsDone, long WordsTotal, float LearningRate, double Loss);
