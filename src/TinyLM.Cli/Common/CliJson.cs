using System.Text.Json.Serialization;
using TinyLM.Cli.Classify;
using TinyLM.Cli.Compress;
using TinyLM.Cli.Export;
using TinyLM.Cli.Generate;
using TinyLM.Cli.Insight;
using TinyLM.Cli.Translate;

namespace TinyLM.Cli.Common;

/// <summary>
/// Source-generated serializers of every verb's --json record (no reflection: trimmable, NativeAOT-compatible).
/// Property names are snake_case; a null field is left out unless its record says otherwise. The schemas are listed
/// in docs/cli.md.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TrainClassifyOutput))]
[JsonSerializable(typeof(PredictOutput))]
[JsonSerializable(typeof(TrainCausalLMOutput))]
[JsonSerializable(typeof(GenerateOutput))]
[JsonSerializable(typeof(TrainTranslateOutput))]
[JsonSerializable(typeof(TranslationOutput))]
[JsonSerializable(typeof(TranslateSummaryOutput))]
[JsonSerializable(typeof(BleuOutput))]
[JsonSerializable(typeof(ExportOutput))]
[JsonSerializable(typeof(ExportOnnxOutput))]
[JsonSerializable(typeof(QuantizeOutput))]
[JsonSerializable(typeof(PruneOutput))]
[JsonSerializable(typeof(DistillOutput))]
[JsonSerializable(typeof(TokenizeOutput))]
[JsonSerializable(typeof(ExplainOutput))]
[JsonSerializable(typeof(ScoreOutput))]
public sealed partial class CliJson : JsonSerializerContext;
