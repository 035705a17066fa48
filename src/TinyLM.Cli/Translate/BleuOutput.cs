namespace TinyLM.Cli.Translate;

/// <summary>The --json line of <c>tinylm bleu</c>.</summary>
public sealed record BleuOutput(double Bleu, double Chrf, double BrevityPenalty, int SysLen, int RefLen, int Sentences);
