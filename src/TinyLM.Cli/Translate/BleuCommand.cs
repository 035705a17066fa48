using System.CommandLine;
using TinyLM.Cli.Common;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Cli.Translate;

/// <summary><c>tinylm bleu HYP REF</c>: corpus BLEU (sacreBLEU's defaults) and chrF of line-aligned files.</summary>
public static class BleuCommand
{
    private static readonly Argument<string> HypArgument = new("hyp") { Description = "Hypotheses, one per line" };
    private static readonly Argument<string> RefArgument = new("ref") { Description = "References, line-aligned with the hypotheses" };

    public static Command Create()
    {
        var command = new Command("bleu", "Corpus BLEU (13a, 4-grams, exp smoothing — sacreBLEU's defaults) and chrF of a translation.");
        command.Arguments.Add(HypArgument);
        command.Arguments.Add(RefArgument);
        command.Options.Add(SharedOptions.Json);
        command.SetRunner(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        string hypPath = parse.GetValue(HypArgument)!, refPath = parse.GetValue(RefArgument)!;
        var hyps = TextFile.ReadLines(hypPath);
        var refs = TextFile.ReadLines(refPath);
        if (hyps.Count != refs.Count)
            throw new DataFormatException(hypPath, 0, $"has {hyps.Count} lines but {refPath} has {refs.Count}; BLEU needs one hypothesis per reference line.");
        var bleu = Bleu.CorpusScore(hyps, refs);
        var chrf = ChrF.CorpusScore(hyps, refs);
        if (parse.GetValue(SharedOptions.Json))
            JsonLine.Print(new BleuOutput(Math.Round(bleu.Score, 2), Math.Round(chrf.Score, 2), Math.Round(bleu.BrevityPenalty, 4), bleu.SysLen, bleu.RefLen,
                hyps.Count), CliJson.Default.BleuOutput);
        else
        {
            Console.Out.WriteLine(bleu.ToString());
            Console.Out.WriteLine(chrf.ToString());
        }
        return ExitCodes.Ok;
    }
}
