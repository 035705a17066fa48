using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.Tests.Nn;

public class EndToEndTests
{
    [Fact]
    public void Two_layer_mlp_learns_xor_with_adam()
    {
        var rng = new Rng(42);
        var model = new Sequential(new Linear(2, 16, rng), new Activation(ActivationKind.Tanh), new Linear(16, 2, rng));
        var opt = new Adam(model, 0.05f);
        var x = Tensor.FromArray([0f, 0f, 0f, 1f, 1f, 0f, 1f, 1f], 4, 2);
        var y = new IntTensor([0, 1, 1, 0]);
        float loss = float.NaN;
        for (int step = 0; step < 300; step++)
        {
            using var scope = new TensorScope();
            opt.ZeroGrad();
            var l = Tensor.CrossEntropy(model.Forward(x), y);
            l.Backward();
            opt.Step();
            loss = l.Item();
        }
        Assert.True(loss < 0.01f, $"final loss {loss}");
        using (Tensor.NoGrad())
        {
            var pred = model.Forward(x).ArgMax();
            Assert.Equal([0, 1, 1, 0], pred);
        }
    }
}

public class LossTests
{
    [Fact]
    public void Loss_wrappers()
    {
        var logits = Tensor.FromArray([2f, 0f, 0f, 0f, 3f, 0f], 2, 3);
        float ce = Losses.CrossEntropy(logits, new IntTensor([0, -100])).Item();
        double expected = -(2 - Math.Log(Math.Exp(2) + 2));
        Assert.Equal(expected, ce, 5);
        var p = Tensor.Parameter(Tensor.FromArray([1f, 2f], 2));
        var mse = Losses.MeanSquaredError(p, Tensor.FromArray([0f, 0f], 2));
        Assert.Equal(2.5f, mse.Item(), 6);
        mse.Backward();
        Assert.Equal([1f, 2f], p.Grad!.ToArray());
    }
}
