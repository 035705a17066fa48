using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Tests.Tensors;

namespace TinyLM.Tests.Nn;

public class Seq2SeqLayerTests
{
    private static void SpreadNorms(Module m, Rng rng)
    {
        foreach (var p in m.Parameters()) if (p.Rank == 1) rng.Normal(p.AsSpan(), 0f, 0.5f);
    }

    [Fact]
    public void Cross_attention_gradients_with_memory_padding()
    {
        var rng = new Rng(41);
        var attn = new CrossAttention(4, 2, rng);
        var x = GradCheck.Input(rng, [2, 3, 4]);
        var memory = GradCheck.Input(rng, [2, 4, 4]);
        GradCheck.Check(v => attn.Forward(v[0], v[1], [4, 2]), [x, memory, .. attn.Parameters()]);
    }

    [Fact]
    public void Cross_attention_ignores_padded_memory()
    {
        var rng = new Rng(42);
        var attn = new CrossAttention(8, 2, rng);
        var x = Tensor.Randn(rng, 1f, 1, 3, 8);
        var memory = Tensor.Randn(rng, 1f, 1, 5, 8);
        var y = attn.Forward(x, memory, [3]).ToArray();
        var changed = memory.Clone();
        changed.AsSpan()[(4 * 8)..].Fill(100f); // the padded positions
        var y2 = attn.Forward(x, changed, [3]).ToArray();
        Assert.Equal(y, y2);
        var shorter = attn.Forward(x, memory.Narrow(1, 0, 3).Contiguous()).ToArray();
        for (int i = 0; i < y.Length; i++) Assert.Equal(shorter[i], y[i], 5);
    }

    [Fact]
    public void Decoder_block_gradients()
    {
        var rng = new Rng(43);
        var block = new TransformerDecoderBlock(4, 2, rng, hiddenDim: 6, dropout: 0f);
        SpreadNorms(block, rng);
        Assert.Contains("cross_attn.wq.weight", block.NamedParameters().Select(p => p.Key));
        Assert.Contains("self_attn.wo.weight", block.NamedParameters().Select(p => p.Key));
        var x = GradCheck.Input(rng, [2, 3, 4]);
        var memory = GradCheck.Input(rng, [2, 2, 4]);
        GradCheck.Check(v => block.Forward(v[0], v[1], [2, 1]), [x, memory, .. block.Parameters()]);
    }

    [Fact]
    public void Decoder_block_is_causal_and_cached_steps_equal_the_full_pass()
    {
        var rng = new Rng(44);
        var block = new TransformerDecoderBlock(8, 2, rng, dropout: 0f);
        SpreadNorms(block, rng);
        block.Eval();
        var x = Tensor.Randn(rng, 1f, 2, 5, 8);
        var memory = Tensor.Randn(rng, 1f, 2, 4, 8);
        int[] lengths = [4, 2];
        var full = block.Forward(x, memory, lengths).ToArray();
        var kv = block.CrossAttention.ProjectMemory(memory, lengths);
        var cache = block.CreateCache(2, 5);
        for (int t = 0; t < 5; t++)
        {
            var step = block.ForwardCached(x.Narrow(1, t, 1).Contiguous(), cache, kv).ToArray(); // (2, 1, 8)
            for (int b = 0; b < 2; b++)
                for (int c = 0; c < 8; c++)
                    Assert.Equal(full[(b * 5 + t) * 8 + c], step[b * 8 + c], 4);
        }
        // Causal: changing a later position leaves earlier outputs alone.
        var later = x.Clone();
        later.AsSpan()[(4 * 8)..(5 * 8)].Fill(3f);
        var changed = block.Forward(later, memory, lengths).ToArray();
        for (int i = 0; i < 4 * 8; i++) Assert.Equal(full[i], changed[i], 5);
    }

    [Fact]
    public void Kv_cache_select_rows_moves_whole_rows()
    {
        var cache = new KvCache(3, 1, 2, 4);
        for (int i = 0; i < cache.Keys.Length; i++) { cache.Keys[i] = i; cache.Values[i] = -i; }
        var scratch = Array.Empty<float>();
        cache.SelectRows([2, 0, 0], ref scratch);
        Assert.Equal(16f, cache.Keys[0]);
        Assert.Equal(0f, cache.Keys[8]);
        Assert.Equal(7f, cache.Keys[23]);
        Assert.Equal(-16f, cache.Values[0]);
        Assert.Throws<ArgumentException>(() => cache.SelectRows([0, 1], ref scratch));
    }
}
