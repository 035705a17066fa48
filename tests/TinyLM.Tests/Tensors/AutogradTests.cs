using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using TinyLM.Tensors;

namespace TinyLM.Tests.Tensors;

public class AutogradTests
{
    [Fact]
    public void Gradients_accumulate_across_backward_calls_until_zero_grad()
    {
        var w = Tensor.Parameter(Tensor.FromArray([1f, 2f, 3f], 3));
        (w * w).Sum().Backward();
        (w * 3f).Sum().Backward();
        Assert.Equal([2f + 3f, 4f + 3f, 6f + 3f], w.Grad!.ToArray());
        w.ZeroGrad();
        Assert.Equal([0f, 0f, 0f], w.Grad!.ToArray());
        w.Sum().Backward();
        Assert.Equal([1f, 1f, 1f], w.Grad!.ToArray());
    }

    [Fact]
    public void NoGrad_records_nothing()
    {
        var w = Tensor.Parameter(2, 2);
        Tensor y;
        using (Tensor.NoGrad())
        {
            Assert.False(Autograd.IsEnabled);
            y = (w + 1f).Tanh();
        }
        Assert.True(Autograd.IsEnabled);
        Assert.False(y.RequiresGrad);
        Assert.Null(y.GradOp);
        Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
    }

    [Fact]
    public void Graph_is_released_after_backward()
    {
        var w = Tensor.Parameter(Tensor.FromArray([1f, -2f], 2));
        var h = w.Tanh();
        var loss = (h * h).Sum();
        Assert.Equal("Tanh", h.GradOp);
        loss.Backward();
        Assert.Null(h.GradOp);
        Assert.Null(loss.GradOp);
        Assert.False(loss.RequiresGrad);
        Assert.Throws<InvalidOperationException>(() => loss.Backward());
    }

    [Fact]
    public void Graph_holds_no_reference_to_intermediates_after_backward()
    {
        var w = Tensor.Parameter(Tensor.FromArray([0.5f, 1.5f], 2));
        var weak = BuildAndBackward(w);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(weak.TryGetTarget(out _));
    }

    private static WeakReference<Tensor> BuildAndBackward(Tensor w)
    {
        var h = w.Exp();
        var loss = h.Sum();
        loss.Backward();
        return new WeakReference<Tensor>(h);
    }

    [Fact]
    public void Diamond_graph_sums_both_paths()
    {
        var x = Tensor.Parameter(Tensor.FromArray([2f], 1));
        var a = x * 3f;
        var loss = (a * a + a).Sum();   // 9x² + 3x → 18x + 3
        loss.Backward();
        Assert.Equal(39f, x.Grad!.ToArray()[0], 4);
    }

    [Fact]
    public void Custom_op_recorded_with_its_backward()
    {
        var rng = new Rng(5);
        var x = GradCheck.Input(rng, [3, 4]);
        GradCheck.Check(t => Twice(t[0]).Tanh(), x);
    }

    // The example from Tensor.Record's documentation.
    private static Tensor Twice(Tensor x)
    {
        var y = Tensor.Empty([.. x.Shape]);
        using (Tensor.NoGrad()) TensorPrimitives.Multiply(x.Contiguous().AsSpan(), 2f, y.AsSpan());
        Tensor.Record("double", y, [x], g =>
        {
            if (x.RequiresGrad) TensorPrimitives.MultiplyAdd(g.AsSpan(), 2f, x.GradSpan(), x.GradSpan());
        });
        return y;
    }

    [Fact]
    public void Gradient_checker_catches_a_wrong_backward()
    {
        var x = GradCheck.Input(new Rng(6), [5]);
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => GradCheck.Check(t =>
        {
            var src = t[0];
            var y = Tensor.Empty(5);
            using (Tensor.NoGrad()) TensorPrimitives.Multiply(src.AsSpan(), src.AsSpan(), y.AsSpan());
            Tensor.Record("bad-square", y, [src], g =>
                TensorPrimitives.MultiplyAdd(g.AsSpan(), src.AsSpan(), src.GradSpan(), src.GradSpan())); // missing factor 2
            return y;
        }, x));
    }

    [Fact]
    public void Views_share_storage()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        var t = x.T;
        Assert.Equal([3, 2], t.Shape);
        Assert.False(t.IsContiguous);
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], t.ToArray());
        x[0, 1] = 20f;
        Assert.Equal(20f, t[1, 0]);
        Assert.Equal([20f, 5f], x.Narrow(1, 1, 1).Reshape(2).ToArray());
        Assert.True(x.Reshape(3, 2).IsContiguous);
    }

    [Fact]
    public void Tensor_scope_returns_buffers_and_keep_survives()
    {
        Tensor kept, dropped;
        var w = Tensor.Parameter(Tensor.FromArray([1f, 2f], 2));
        using (new TensorScope())
        {
            dropped = w * 2f;
            kept = (w + 1f).Keep();
            var view = kept.Reshape(1, 2);
            Assert.Equal([2f, 3f], view.ToArray());
        }
        Assert.Equal([2f, 3f], kept.ToArray());
        Assert.Throws<ObjectDisposedException>(() => dropped.ToArray());
        Assert.Equal([1f, 2f], w.ToArray());
    }
}
