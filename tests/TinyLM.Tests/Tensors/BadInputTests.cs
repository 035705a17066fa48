using TinyLM.Tensors;

namespace TinyLM.Tests.Tensors;

public class BadInputTests
{
    [Fact]
    public void Broadcast_mismatch_names_op_and_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3) + Tensor.Zeros(4));
        Assert.Contains("Add", e.Message);
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(4,)", e.Message);
    }

    [Fact]
    public void Matmul_inner_dimension_mismatch()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).MatMul(Tensor.Zeros(4, 5)));
        Assert.Contains("MatMul", e.Message);
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(4, 5)", e.Message);
    }

    [Fact]
    public void Out_of_range_indices()
    {
        var w = Tensor.Zeros(4, 2);
        var e = Assert.Throws<IndexOutOfRangeException>(() => Tensor.Embedding(w, new IntTensor([0, 4])));
        Assert.Contains("Embedding", e.Message);
        Assert.Contains("4", e.Message);
        var c = Assert.Throws<IndexOutOfRangeException>(() => Tensor.CrossEntropy(Tensor.Zeros(2, 3), new IntTensor([0, 3])));
        Assert.Contains("CrossEntropy", c.Message);
        Assert.Throws<IndexOutOfRangeException>(() => w.Gather(0, new IntTensor([-1, 0], 1, 2)));
        Assert.Throws<IndexOutOfRangeException>(() => w.IndexSelect(0, new IntTensor([7])));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Narrow(0, 3, 2));
    }

    [Fact]
    public void Target_count_mismatch()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.CrossEntropy(Tensor.Zeros(3, 5), new IntTensor([0, 1])));
        Assert.Contains("(3, 5)", e.Message);
    }

    [Fact]
    public void NaN_or_inf_in_a_loss_throws()
    {
        var logits = Tensor.Parameter(Tensor.FromArray([0f, float.NaN, 1f, 2f], 2, 2));
        var e = Assert.Throws<ArithmeticException>(() => Tensor.CrossEntropy(logits, new IntTensor([0, 1])));
        Assert.Contains("CrossEntropy", e.Message);
        Assert.Contains("(2, 2)", e.Message);
        var w = Tensor.Parameter(Tensor.FromArray([-1f], 1));
        var loss = w.Log().Sum();
        var b = Assert.Throws<ArithmeticException>(() => loss.Backward());
        Assert.Contains("Sum", b.Message);
    }

    [Fact]
    public void Reshape_and_permute_errors()
    {
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Reshape(4, 2));
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Permute(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(2, 3).Sum(2));
        Assert.Throws<ArgumentException>(() => Tensor.Concat([Tensor.Zeros(2, 3), Tensor.Zeros(3, 3)], 1));
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(2, 3).T.AsSpan());
    }
}
