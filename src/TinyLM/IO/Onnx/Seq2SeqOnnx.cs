using TinyLM.IO.Onnx.Proto;
using TinyLM.Models;
using TinyLM.Nn;
using static TinyLM.IO.Onnx.OnnxGraphBuilder;

namespace TinyLM.IO.Onnx;

/// <summary>
/// A <see cref="TransformerSeq2Seq"/> as two ONNX graphs. The encoder: source_ids (batch, source_sequence) int64
/// (the source ids with their &lt;eos&gt;, right-padded) and source_lengths (batch) int64 → memory (batch,
/// source_sequence, C). The decoder re-runs the whole target prefix each step (no past cache: a step costs
/// O(T) more than a cached one, and the graph stays one input shape simpler): target_ids (batch, target_sequence)
/// int64 (&lt;bos&gt; y…), memory and source_lengths → logits (batch, target_sequence, target_vocab); the last row
/// scores the next token. The weights are read off the model's modules in registration order, so the model
/// class needs no export hooks.
/// </summary>
internal static class Seq2SeqOnnx
{
    public static (GraphProto Encoder, GraphProto Decoder) Build(TransformerSeq2Seq model, int opset)
    {
        var parts = Parts.Of(model);
        return (Encoder(model, parts, opset), Decoder(model, parts, opset));
    }

    private static GraphProto Encoder(TransformerSeq2Seq model, Parts parts, int opset)
    {
        var g = new OnnxGraphBuilder("tinylm_seq2seq_encoder", opset);
        string ids = g.Input("source_ids", TensorProto.Types.DataType.Int64, "batch", "source_sequence");
        string lengths = g.Input("source_lengths", TensorProto.Types.DataType.Int64, "batch");
        string x = Embed(g, model, g.Weight("source_embedding", parts.Source.Weight), ids);
        string keyMask = g.Node("Unsqueeze", [g.ValidMask(ids, lengths), g.Longs(1, 2)]);   // (B, 1, 1, S)
        for (int i = 0; i < parts.EncoderBlocks.Length; i++) x = g.EncoderBlock(x, keyMask, parts.EncoderBlocks[i], $"encoder_{i}");
        g.NodeNamed("memory", "Identity", [g.LayerNorm(x, parts.EncoderNorm, "encoder_norm")]);
        g.Output("memory", TensorProto.Types.DataType.Float, "batch", "source_sequence", model.Config.EmbedDim);
        return g.Graph;
    }

    private static GraphProto Decoder(TransformerSeq2Seq model, Parts parts, int opset)
    {
        var g = new OnnxGraphBuilder("tinylm_seq2seq_decoder", opset);
        string ids = g.Input("target_ids", TensorProto.Types.DataType.Int64, "batch", "target_sequence");
        string memory = g.Input("memory", TensorProto.Types.DataType.Float, "batch", "source_sequence", model.Config.EmbedDim);
        string lengths = g.Input("source_lengths", TensorProto.Types.DataType.Int64, "batch");
        string table = g.Weight("target_embedding", parts.Target.Weight);
        string x = Embed(g, model, table, ids);
        string memoryMask = g.Node("Unsqueeze", [g.ValidMask(memory, lengths), g.Longs(1, 2)]); // (B, 1, 1, S)
        string steps = g.Node("Squeeze", [g.AxisSize(ids, 1), g.Longs(0)]);
        string positions = g.Node("Range", [g.Int64s("zero", [0L]), steps, g.Int64s("one", [1L])]); // (T)
        string causal = g.Node("LessOrEqual", [g.Node("Unsqueeze", [positions, g.Longs(0)]), g.Node("Unsqueeze", [positions, g.Longs(1)])]); // (T, T)
        for (int i = 0; i < parts.DecoderBlocks.Length; i++)
        {
            var block = parts.DecoderBlocks[i];
            string name = $"decoder_{i}";
            if (block.Mlp.Activation != ActivationKind.Gelu)
                throw new OnnxExportException($"{name}: only the tanh-GELU MLP is exported, got {block.Mlp.Activation}.");
            string h = g.LayerNorm(x, block.Ln1, name + ".ln_1");
            x = g.Node("Add", [x, Attention(g, block.SelfAttention, h, h, causal, name + ".self_attn")]);
            h = g.LayerNorm(x, block.Ln2, name + ".ln_2");
            x = g.Node("Add", [x, Attention(g, block.CrossAttention, h, memory, memoryMask, name + ".cross_attn")]);
            h = g.LayerNorm(x, block.Ln3, name + ".ln_3");
            h = g.Linear(g.GeluTanh(g.Linear(h, block.Mlp.Fc, name + ".mlp.c_fc")), block.Mlp.Proj, name + ".mlp.c_proj");
            x = g.Node("Add", [x, h]);
        }
        x = g.LayerNorm(x, parts.DecoderNorm, "decoder_norm");
        // The output layer is tied to the target embedding: the one table, transposed by a node ORT folds at load.
        g.NodeNamed("logits", "MatMul", [x, g.Node("Transpose", [table], Ints("perm", 1, 0))]);
        g.Output("logits", TensorProto.Types.DataType.Float, "batch", "target_sequence", model.Config.TargetVocab);
        return g.Graph;
    }

    // table(ids)·√C + sinusoidal positions 0…T−1, as TransformerSeq2Seq.Embed (dropout is the identity at inference).
    private static string Embed(OnnxGraphBuilder g, TransformerSeq2Seq model, string table, string ids)
    {
        int c = model.Config.EmbedDim;
        string x = g.Node("Mul", [g.Node("Gather", [table, ids], Int("axis", 0)), g.Scalar(MathF.Sqrt(c))]);
        int rows = Math.Max(model.Config.MaxSourceLength, model.Config.MaxTargetLength) + 2;
        var sinusoid = Seq2SeqModel.SinusoidalTable(rows, c).ToArray();
        string positions = g.Node("Slice", [g.Floats("positions", sinusoid, rows, c), g.Longs(0), g.AxisSize(ids, 1), g.Longs(0)]);
        return g.Node("Add", [x, positions]);                                                    // (B, T, C)
    }

    // Multi-head attention of queries from x (B, T, C) over keys/values from source (B, S, C); visible broadcasts to (B, H, T, S).
    private static string Attention(OnnxGraphBuilder g, AttentionProjections attention, string x, string source, string visible, string name)
    {
        int h = attention.Heads, d = attention.HeadDim;
        if (attention.KvHeads != h || attention is MultiHeadAttention { Rope: not null })
            throw new OnnxExportException($"{name}: only plain attention (one kv head per head, no rotary) is exported.");
        string Heads(string projected, params long[] perm) =>
            g.Node("Transpose", [g.Node("Reshape", [projected, g.Longs(0, 0, h, d)])], Ints("perm", perm));
        string q = g.Node("Mul", [Heads(g.Linear(x, attention.Wq, name + ".wq"), 0, 2, 1, 3), g.Scalar(1f / MathF.Sqrt(d))]); // (B, H, T, D)
        string kT = Heads(g.Linear(source, attention.Wk, name + ".wk"), 0, 2, 3, 1);        // (B, H, D, S)
        string v = Heads(g.Linear(source, attention.Wv, name + ".wv"), 0, 2, 1, 3);         // (B, H, S, D)
        string context = g.Node("Transpose", [g.Attend(q, kT, v, visible)], Ints("perm", 0, 2, 1, 3)); // (B, T, H, D)
        return g.Linear(g.Node("Reshape", [context, g.Longs(0, 0, h * d)]), attention.Wo, name + ".wo");
    }

    // The model's parts in registration order: tgt_embed, [src_embed], encoder blocks, encoder_norm, decoder blocks, decoder_norm.
    private sealed record Parts(Embedding Target, Embedding Source, TransformerEncoderBlock[] EncoderBlocks, LayerNorm EncoderNorm,
        TransformerDecoderBlock[] DecoderBlocks, LayerNorm DecoderNorm)
    {
        public static Parts Of(TransformerSeq2Seq model)
        {
            var modules = model.Modules().ToList();
            var embeddings = modules.OfType<Embedding>().ToArray();
            var encoder = modules.OfType<TransformerEncoderBlock>().ToArray();
            var decoder = modules.OfType<TransformerDecoderBlock>().ToArray();
            var inBlocks = encoder.SelectMany(b => new[] { b.Ln1, b.Ln2 }).Concat(decoder.SelectMany(b => new[] { b.Ln1, b.Ln2, b.Ln3 })).ToHashSet();
            var norms = modules.OfType<LayerNorm>().Where(n => !inBlocks.Contains(n)).ToArray();
            if (embeddings.Length is < 1 or > 2 || norms.Length != 2 || encoder.Length != decoder.Length)
                throw new OnnxExportException("the seq2seq model's layout is not the one the exporter knows (embeddings, blocks, two final norms).");
            return new Parts(embeddings[0], embeddings[^1], encoder, norms[0], decoder, norms[1]);
        }
    }
}
