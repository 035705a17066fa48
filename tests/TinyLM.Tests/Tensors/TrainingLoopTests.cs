using TinyLM.Tensors;
using Xunit.Abstractions;

namespace TinyLM.Tests.Tensors;

[CollectionDefinition("Serial", DisableParallelization = true)]
public sealed class SerialCollection;

/// <summary>A two-layer MLP trained with plain SGD, the way Nn and Training will drive the engine.</summary>
internal sealed class TinyMlp
{
    public readonly Tensor W1, B1, W2, B2;
    private readonly Tensor _x;
    private readonly IntTensor _y;

    public TinyMlp(ulong seed, int batch = 32, int inputs = 16, int hidden = 32, int classes = 4)
    {
        var rng = new Rng(seed);
        W1 = Tensor.Parameter(inputs, hidden);
        rng.Normal(W1.AsSpan(), 0f, 0.3f);
        B1 = Tensor.Parameter(hidden);
        W2 = Tensor.Parameter(hidden, classes);
        rng.Normal(W2.AsSpan(), 0f, 0.3f);
        B2 = Tensor.Parameter(classes);
        var data = new float[batch * inputs];
        rng.Normal(data);
        _x = Tensor.FromArray(data, batch, inputs);
        var labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = rng.NextInt(classes);
        _y = new IntTensor(labels);
    }

    public float Step(float lr, Rng dropoutRng)
    {
        using var scope = new TensorScope();
        var h = (_x.MatMul(W1) + B1).Gelu().Dropout(0.1f, dropoutRng);   // (B, H)
        var logits = h.MatMul(W2) + B2;                                   // (B, C)
        var loss = Tensor.CrossEntropy(logits, _y, labelSmoothing: 0.05f);
        float value = loss.Item();
        loss.Backward();
        using (Tensor.NoGrad())
            foreach (var p in new[] { W1, B1, W2, B2 })
            {
                var d = p.AsSpan();
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(p.Grad!.AsSpan(), -lr, d, d);
                p.ZeroGrad();
            }
        return value;
    }
}

[Collection("Serial")]
public class TrainingLoopTests(ITestOutputHelper output)
{
    [Fact]
    public void Same_seed_gives_the_same_bits()
    {
        var a = new TinyMlp(11);
        var b = new TinyMlp(11);
        var ra = new Rng(5);
        var rb = new Rng(5);
        float first = 0, last = 0;
        for (int i = 0; i < 30; i++)
        {
            float la = a.Step(0.1f, ra), lb = b.Step(0.1f, rb);
            Assert.Equal(BitConverter.SingleToInt32Bits(la), BitConverter.SingleToInt32Bits(lb));
            if (i == 0) first = la;
            last = la;
        }
        Assert.Equal(a.W1.ToArray(), b.W1.ToArray());
        Assert.Equal(a.W2.ToArray(), b.W2.ToArray());
        Assert.True(last < first, $"loss did not fall: {first} → {last}");
    }

    [Fact]
    public void Thousand_steps_do_not_grow_the_heap_or_the_pool()
    {
        var mlp = new TinyMlp(3);
        var rng = new Rng(9);
        for (int i = 0; i < 50; i++) mlp.Step(0.05f, rng);
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        long poolBefore = TensorPool.AllocatedBytes;
        long allocBefore = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) mlp.Step(0.05f, rng);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocBefore;
        long poolGrowth = TensorPool.AllocatedBytes - poolBefore;
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        long heapGrowth = heapAfter - heapBefore;
        output.WriteLine($"1000 steps: heap {heapBefore} → {heapAfter} B (growth {heapGrowth} B); pool new buffers {poolGrowth} B; " +
                         $"managed allocation {allocated / 1000} B/step (small tape objects, no tensor buffers)");
        Console.WriteLine($"[memory] heap growth {heapGrowth} B, pool growth {poolGrowth} B, {allocated / 1000} B/step allocated");
        Assert.Equal(0, poolGrowth);
        Assert.True(heapGrowth < 64 * 1024, $"heap grew by {heapGrowth} bytes over 1000 steps");
        // Tensor buffers of this model are ≥ 512 floats; a step that allocated any would exceed this.
        Assert.True(allocated / 1000 < 32 * 1024, $"{allocated / 1000} B allocated per step");
    }
}
