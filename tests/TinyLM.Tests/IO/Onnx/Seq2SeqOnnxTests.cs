using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TinyLM.IO;
using TinyLM.IO.Onnx;
using TinyLM.Models;
using TinyLM.Tests.IO.Llama;
using TinyLM.Text;
using TinyLM.Training;
using Xunit.Abstractions;
using Rng = TinyLM.Tensors.Rng;

namespace TinyLM.Tests.IO.Onnx;

/// <summary>
/// A Transformer seq2seq model exported as encoder + decoder graphs: teacher-forced logits within 1e-4 of ours on a
/// padded batch, and greedy translation through ONNX Runtime (the decoder re-run on the growing prefix) equal to ours.
/// </summary>
public class Seq2SeqOnnxTests(ITestOutputHelper output)
{
    private static readonly ByteBpeTokenizer Bytes = ByteBpeTokenizer.BytesOnly();
    private static readonly string[] Sentences = ["a cat sat on the mat", "ein Hund", "x", "two dogs are playing in the snow near a red house"];

    // Weights spread wider than the initialisation, so greedy choices are far from ties and do not stop at once.
    private static Seq2SeqModel Model()
    {
        var model = Seq2SeqModel.Create(Seq2SeqConfig.Tiny with
        {
            Arch = Seq2SeqArch.Transformer, EmbedDim = 16, Hidden = 32, Heads = 2, Layers = 2, MaxSourceLength = 64, MaxTargetLength = 64, Seed = 3,
        }, Bytes, Bytes);
        OnnxLm.Spread(model, 9).Eval();
        return model;
    }

    private static (string Encoder, string Decoder) Export(Seq2SeqModel model, ScratchDir dir)
    {
        string encoder = dir.File("enc.onnx"), decoder = dir.File("dec.onnx");
        OnnxExport.Seq2Seq(model, encoder, decoder);
        return (encoder, decoder);
    }

    [Fact]
    public void Teacher_forced_logits_match_ours_on_a_padded_batch()
    {
        var model = Model();
        using var dir = new ScratchDir();
        var (encoderPath, decoderPath) = Export(model, dir);
        var sources = Batching.Pad([.. Sentences.Select(model.EncodeSource)], [0, 1, 2, 3], model.SourcePadId);
        var rng = new Rng(4);
        const int t = 7;
        var targets = Batching.Pad([.. Enumerable.Range(0, sources.B).Select(_ => Enumerable.Range(0, t).Select(_ => rng.NextInt(model.Config.TargetVocab)).ToArray())],
            [0, 1, 2, 3], model.PadId);
        float[] ours;
        using (TinyLM.Tensors.Tensor.NoGrad()) ours = model.Logits(sources, targets).ToArray();
        using var encoder = new InferenceSession(encoderPath);
        using var decoder = new InferenceSession(decoderPath);
        var memory = Encode(encoder, [.. sources.Ids.Select(i => (long)i)], [.. sources.Lengths.Select(l => (long)l)], sources.B, sources.T);
        var theirs = DecodeLogits(decoder, [.. targets.Ids.Select(i => (long)i)], sources.B, t, memory, [.. sources.Lengths.Select(l => (long)l)]);
        float diff = OnnxParity.MaxAbsDiff(theirs, ours);
        output.WriteLine($"B={sources.B} S={sources.T} T={t}: max |Δlogit| = {diff:E2}");
        Assert.InRange(diff, 0f, OnnxParity.Tolerance);
    }

    [Fact]
    public void Greedy_translation_through_onnx_runtime_equals_ours()
    {
        var model = Model();
        using var dir = new ScratchDir();
        var (encoderPath, decoderPath) = Export(model, dir);
        using var encoder = new InferenceSession(encoderPath);
        using var decoder = new InferenceSession(decoderPath);
        var options = new SearchOptions();
        int[][] sources = [.. Sentences.Select(model.EncodeSource)];
        var ours = Seq2SeqSearch.Decode(model, sources, options);
        for (int s = 0; s < sources.Length; s++)
        {
            long[] src = [.. sources[s].Select(i => (long)i)];
            var memory = Encode(encoder, src, [src.Length], 1, src.Length);
            int limit = Math.Clamp((int)MathF.Ceiling(options.MaxLengthRatio * src.Length) + options.MaxLengthExtra, 1, model.Config.MaxTargetLength);
            var prefix = new List<long> { model.BosId };
            var theirs = new List<int>();
            while (true)
            {
                var logits = DecodeLogits(decoder, [.. prefix], 1, prefix.Count, memory, [src.Length]);
                int next = OnnxLm.ArgMax(logits.AsSpan((prefix.Count - 1) * model.Config.TargetVocab, model.Config.TargetVocab));
                if (next == model.EosId) break;
                theirs.Add(next);
                if (theirs.Count >= limit) break;
                prefix.Add(next);
            }
            output.WriteLine($"\"{Sentences[s]}\" → {theirs.Count} tokens [{string.Join(' ', theirs)}]");
            Assert.Equal(ours[s], theirs);
        }
        Assert.True(ours.Select(o => string.Join(",", o)).Distinct().Count() == ours.Length, "every source should get its own translation (the cross-attention must matter)");
    }

    [Fact]
    public void A_recurrent_seq2seq_model_is_refused_and_nothing_is_written()
    {
        var rnn = Seq2SeqModel.Create(Seq2SeqConfig.Tiny with { Arch = Seq2SeqArch.Rnn, Hidden = 8, EmbedDim = 4 }, Bytes, Bytes);
        using var dir = new ScratchDir();
        var error = Assert.Throws<OnnxExportException>(() => OnnxExport.Seq2Seq(rnn, dir.File("e.onnx"), dir.File("d.onnx")));
        Assert.Contains("Transformer", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Export_onnx_cli_writes_the_encoder_and_decoder_files()
    {
        var model = Model();
        using var dir = new ScratchDir();
        string modelPath = dir.File("mt.tlm");
        model.Save(modelPath);
        var (exit, stdout, stderr) = TinyLM.Tests.Cli.CliRunner.Run("export", "onnx", modelPath, "--out", dir.File("mt.onnx"), "--json");
        Assert.True(exit == 0, stderr);
        var lines = stdout.TrimEnd().Split('\n');
        Assert.Equal(dir.File("mt.encoder.onnx"), System.Text.Json.JsonDocument.Parse(lines[^2]).RootElement.GetProperty("out").GetString());
        Assert.Equal("seq2seq", System.Text.Json.JsonDocument.Parse(lines[^1]).RootElement.GetProperty("kind").GetString());
        using var decoder = new InferenceSession(dir.File("mt.decoder.onnx"));
        Assert.Equal(["target_ids", "memory", "source_lengths"], decoder.InputMetadata.Keys);
        Assert.False(File.Exists(dir.File("mt.onnx")));
    }

    private static DenseTensor<float> Encode(InferenceSession encoder, long[] ids, long[] lengths, int b, int s)
    {
        using var results = encoder.Run(
        [
            NamedOnnxValue.CreateFromTensor("source_ids", new DenseTensor<long>(ids, [b, s])),
            NamedOnnxValue.CreateFromTensor("source_lengths", new DenseTensor<long>(lengths, [b])),
        ]);
        return results.Single(r => r.Name == "memory").AsTensor<float>().ToDenseTensor();
    }

    private static float[] DecodeLogits(InferenceSession decoder, long[] ids, int b, int t, DenseTensor<float> memory, long[] lengths)
    {
        using var results = decoder.Run(
        [
            NamedOnnxValue.CreateFromTensor("target_ids", new DenseTensor<long>(ids, [b, t])),
            NamedOnnxValue.CreateFromTensor("memory", memory),
            NamedOnnxValue.CreateFromTensor("source_lengths", new DenseTensor<long>(lengths, [b])),
        ]);
        return results.Single(r => r.Name == "logits").AsTensor<float>().ToArray();
    }
}
