using System.Numerics.Tensors;
using TinyLM.Kernels;

namespace TinyLM.Tensors;

// Binary elementwise ops with numpy broadcasting; gradients are summed back to each input's shape.
public sealed partial class Tensor
{
    /// <summary>this + other (broadcasting).</summary>
    public Tensor Add(Tensor other)
    {
        var a = this; var b = other;
        var y = Broadcasting.Binary<AddOperator>(a, b, "Add");
        if (AnyRequiresGrad(a, b))
            Record("Add", y, [a, b], g =>
            {
                if (a.RequiresGrad) a.AccumulateGrad(g);
                if (b.RequiresGrad) b.AccumulateGrad(g);
            });
        return y;
    }

    /// <summary>this − other (broadcasting).</summary>
    public Tensor Sub(Tensor other)
    {
        var a = this; var b = other;
        var y = Broadcasting.Binary<SubtractOperator>(a, b, "Sub");
        if (AnyRequiresGrad(a, b))
            Record("Sub", y, [a, b], g =>
            {
                if (a.RequiresGrad) a.AccumulateGrad(g);
                if (b.RequiresGrad) AccumulateScaled(b, g, -1f);
            });
        return y;
    }

    /// <summary>this ⊙ other (broadcasting).</summary>
    public Tensor Mul(Tensor other)
    {
        var a = this; var b = other;
        var y = Broadcasting.Binary<MultiplyOperator>(a, b, "Mul");
        if (AnyRequiresGrad(a, b))
            Record("Mul", y, [a, b], g =>
            {
                if (a.RequiresGrad) AccumulateProduct(a, g, b, "Mul");
                if (b.RequiresGrad) AccumulateProduct(b, g, a, "Mul");
            });
        return y;
    }

    /// <summary>this / other (broadcasting).</summary>
    public Tensor Div(Tensor other)
    {
        var a = this; var b = other;
        var y = Broadcasting.Binary<DivideOperator>(a, b, "Div");
        if (AnyRequiresGrad(a, b))
            Record("Div", y, [a, b], g =>
            {
                var ga = Broadcasting.Binary<DivideOperator>(g, b, "Div", temp: true); // g / b
                if (b.RequiresGrad)
                {
                    // d/db (a/b) = −(a/b)/b, so gb = −ga ⊙ y.
                    var gb = Broadcasting.Binary<MultiplyOperator>(ga, y, "Div", temp: true);
                    AccumulateScaled(b, gb, -1f);
                    gb.ReleaseTemp();
                }
                if (a.RequiresGrad) a.AccumulateGrad(ga);
                ga.ReleaseTemp();
            });
        return y;
    }

    /// <summary>this ^ exponent (broadcasting). The gradient w.r.t. the exponent needs this &gt; 0.</summary>
    public Tensor Pow(Tensor exponent)
    {
        var a = this; var b = exponent;
        var y = Broadcasting.Binary<PowOperator>(a, b, "Pow");
        if (AnyRequiresGrad(a, b))
            Record("Pow", y, [a, b], g =>
            {
                if (a.RequiresGrad)
                {
                    // b · a^(b−1) = b · y / a (a ≠ 0); computed directly to stay exact at a = 0.
                    var bm1 = Broadcasting.Binary<SubtractOperator>(b, _one, "Pow", temp: true);
                    var p = Broadcasting.Binary<PowOperator>(a, bm1, "Pow", temp: true);
                    var q = Broadcasting.Binary<MultiplyOperator>(p, b, "Pow", temp: true);
                    AccumulateProduct(a, g, q, "Pow");
                    bm1.ReleaseTemp(); p.ReleaseTemp(); q.ReleaseTemp();
                }
                if (b.RequiresGrad)
                {
                    var ln = Broadcasting.Binary<PowOperator>(a, _one, "Pow", temp: true);
                    TensorPrimitives.Log(ln.Data.AsSpan(0, ln.Length), ln.Data.AsSpan(0, ln.Length));
                    var q = Broadcasting.Binary<MultiplyOperator>(y, ln, "Pow", temp: true);
                    AccumulateProduct(b, g, q, "Pow");
                    ln.ReleaseTemp(); q.ReleaseTemp();
                }
            });
        return y;
    }

    /// <summary>this ^ exponent for a constant exponent.</summary>
    public Tensor Pow(float exponent)
    {
        var a = Contiguous();
        var y = Allocate((int[])a._shape.Clone(), clear: false);
        PowOperator.Invoke(a.AsSpan(), exponent, y.AsSpan());
        if (AnyRequiresGrad(a))
            Record("Pow", y, [a], g =>
            {
                var xs = a.AsSpan();
                var gs = g.AsSpan();
                var d = a.GradSpan();
                for (int i = 0; i < xs.Length; i++) d[i] += gs[i] * exponent * MathF.Pow(xs[i], exponent - 1f);
            });
        return y;
    }

    /// <summary>this + c.</summary>
    public Tensor Add(float c) => ScalarOp<AddOperator>(c, "Add", 1f);

    /// <summary>this − c.</summary>
    public Tensor Sub(float c) => ScalarOp<AddOperator>(-c, "Sub", 1f);

    /// <summary>this · c.</summary>
    public Tensor Mul(float c) => ScalarOp<MultiplyOperator>(c, "Mul", c);

    /// <summary>this / c.</summary>
    public Tensor Div(float c) => ScalarOp<MultiplyOperator>(1f / c, "Div", 1f / c);

    /// <summary>c − this.</summary>
    public Tensor RSub(float c)
    {
        var n = Neg();
        return n.Add(c);
    }

    /// <summary>c / this.</summary>
    public Tensor RDiv(float c) => Pow(-1f).Mul(c);

    /// <summary>−this.</summary>
    public Tensor Neg() => ScalarOp<MultiplyOperator>(-1f, "Neg", -1f);

    /// <summary>Elementwise maximum (broadcasting); ties send the gradient to this.</summary>
    public Tensor Maximum(Tensor other) => Where(Ge(other), this, other);

    /// <summary>Elementwise minimum (broadcasting); ties send the gradient to this.</summary>
    public Tensor Minimum(Tensor other) => Where(other.Ge(this), this, other);

    /// <summary>1 where this ≥ other else 0 (broadcasting, not differentiable).</summary>
    public Tensor Ge(Tensor other)
    {
        using var _ = NoGrad();
        var y = Broadcasting.Binary<SubtractOperator>(this, other, "Ge");
        var s = y.AsSpan();
        for (int i = 0; i < s.Length; i++) s[i] = s[i] >= 0 ? 1f : 0f;
        return y;
    }

    private Tensor ScalarOp<TOp>(float c, string op, float slope) where TOp : IBinaryOperator
    {
        var a = this;
        var y = Allocate((int[])_shape.Clone(), clear: false);
        if (a.IsContiguous) TOp.Invoke(a.Data.AsSpan(a._offset, a._length), c, y.AsSpan());
        else
        {
            StridedCopy.ToContiguous(a, y.AsSpan());
            TOp.Invoke(y.AsSpan(), c, y.AsSpan());
        }
        if (AnyRequiresGrad(a))
            Record(op, y, [a], g =>
            {
                if (slope == 1f) a.AccumulateGrad(g);
                else AccumulateScaled(a, g, slope);
            });
        return y;
    }

    private static readonly Tensor _one = FromArray([1f]);

    // target.grad += alpha · g (g may be broadcast-larger than target).
    internal static void AccumulateScaled(Tensor target, Tensor g, float alpha)
    {
        if (ShapeOf.SameShape(g._shape, target._shape) && g.IsContiguous)
        {
            var d = target.GradSpan();
            TensorPrimitives.MultiplyAdd(g.Data.AsSpan(g._offset, g._length), alpha, d, d);
            return;
        }
        var t = AllocateTemp((int[])g._shape.Clone(), clear: false);
        StridedCopy.ToContiguous(g, t.AsSpan());
        TensorPrimitives.Multiply(t.AsSpan(), alpha, t.AsSpan());
        target.AccumulateGrad(t);
        t.ReleaseTemp();
    }

    // target.grad += reduce(g ⊙ other).
    private static void AccumulateProduct(Tensor target, Tensor g, Tensor other, string op)
    {
        var t = Broadcasting.Binary<MultiplyOperator>(g, other, op, temp: true);
        target.AccumulateGrad(t);
        t.ReleaseTemp();
    }

    /// <summary>a + b.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    /// <summary>a − b.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    /// <summary>a ⊙ b.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    /// <summary>a / b.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    /// <summary>a + c.</summary>
    public static Tensor operator +(Tensor a, float c) => a.Add(c);
    /// <summary>c + a.</summary>
    public static Tensor operator +(float c, Tensor a) => a.Add(c);
    /// <summary>a − c.</summary>
    public static Tensor operator -(Tensor a, float c) => a.Sub(c);
    /// <summary>c − a.</summary>
    public static Tensor operator -(float c, Tensor a) => a.RSub(c);
    /// <summary>a · c.</summary>
    public static Tensor operator *(Tensor a, float c) => a.Mul(c);
    /// <summary>c · a.</summary>
    public static Tensor operator *(float c, Tensor a) => a.Mul(c);
    /// <summary>a / c.</summary>
    public static Tensor operator /(Tensor a, float c) => a.Div(c);
    /// <summary>c / a.</summary>
    public static Tensor operator /(float c, Tensor a) => a.RDiv(c);
    /// <summary>−a.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();
}
