namespace TinyLM.Cli.Translate;

/// <summary>One --json line of <c>tinylm translate</c> per sentence.</summary>
public sealed record TranslationOutput(string Source, string Translation);

/// <summary>The last --json line of <c>tinylm translate</c>: the whole run.</summary>
public sealed record TranslateSummaryOutput(int Sentences, double Seconds, double SentencesPerSecond, double CpuSeconds, int Beam, int Batch);
