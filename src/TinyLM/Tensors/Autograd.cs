namespace TinyLM.Tensors;

/// <summary>One recorded op on the tape: its inputs and the closure that turns the output's gradient into theirs.</summary>
internal sealed class GradNode(string op, Tensor[] inputs, Action<Tensor> backward)
{
    public string Op { get; } = op;
    public Tensor[] Inputs { get; } = inputs;
    public Action<Tensor> Backward { get; } = backward;
    public int Mark;
}

/// <summary>Disables recording on this thread until disposed (see <see cref="Tensor.NoGrad"/>).</summary>
public readonly struct NoGradScope : IDisposable
{
    internal NoGradScope(bool enter)
    {
        if (enter) Autograd.Depth++;
    }

    /// <summary>Re-enables recording (if this was the outermost NoGrad).</summary>
    public void Dispose() => Autograd.Depth--;
}

/// <summary>Thread-wide autograd switches.</summary>
public static class Autograd
{
    [ThreadStatic] private static int _depth;

    internal static int Depth
    {
        get => _depth;
        set => _depth = value;
    }

    /// <summary>True when ops on this thread are recorded (no <see cref="NoGrad"/> active).</summary>
    public static bool IsEnabled => _depth == 0;

    /// <summary>Disables recording until the returned scope is disposed: <c>using (Autograd.NoGrad()) { … }</c>.</summary>
    public static NoGradScope NoGrad() => new(true);
}

public sealed partial class Tensor
{
    [ThreadStatic] private static List<Tensor>? _topoOrder;
    [ThreadStatic] private static Stack<(Tensor, int)>? _dfsStack;
    private static int _markCounter;

    private bool _requiresGrad;
    private GradNode? _node;
    private Tensor? _grad;

    /// <summary>Disables recording on this thread until disposed: <c>using (Tensor.NoGrad()) { … }</c>.</summary>
    public static NoGradScope NoGrad() => Autograd.NoGrad();

    /// <summary>
    /// True when gradients flow to this tensor: a leaf marked trainable, or the output of a recorded op.
    /// Only leaves may be set.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad || _node is not null;
        set
        {
            if (_node is not null) throw new InvalidOperationException($"RequiresGrad: tensor {ShapeOf.Format(_shape)} is the output of '{_node.Op}', not a leaf.");
            _requiresGrad = value;
        }
    }

    /// <summary>True when this tensor was not produced by a recorded op.</summary>
    public bool IsLeaf => _node is null;

    /// <summary>Name of the op that produced this tensor, or null for a leaf.</summary>
    public string? GradOp => _node?.Op;

    /// <summary>Accumulated gradient of a leaf (contiguous, same shape), or null before the first backward. Never pooled.</summary>
    public Tensor? Grad => _node is null ? _grad : null;

    /// <summary>Zeroes the accumulated gradient (keeps its buffer).</summary>
    public void ZeroGrad()
    {
        if (_grad is not null && _node is null) _grad.Data.AsSpan(0, _length).Clear();
    }

    /// <summary>A view of the same data that is not on the tape.</summary>
    public Tensor Detach() => new(_storage, _shape, _strides, _offset);

    /// <summary>
    /// Records a custom op on the tape: <paramref name="output"/> was computed from <paramref name="inputs"/>
    /// outside autograd, and <paramref name="backward"/> receives d(loss)/d(output) (contiguous, output's shape,
    /// valid only during the call) and adds each input's gradient with <see cref="AccumulateGrad"/> or
    /// <see cref="GradSpan"/> — only for inputs whose <see cref="RequiresGrad"/> is true. Backward closures run
    /// under <see cref="NoGrad"/>, so they may use ordinary ops. Does nothing (returns false) when recording is
    /// off or no input requires a gradient. Example, y = 2·x:
    /// <code>
    /// var y = Tensor.Empty(x.Shape.ToArray());
    /// using (Tensor.NoGrad()) TensorPrimitives.Multiply(x.Contiguous().AsSpan(), 2f, y.AsSpan());
    /// Tensor.Record("double", y, [x], g =>
    /// {
    ///     if (x.RequiresGrad) TensorPrimitives.MultiplyAdd(g.AsSpan(), 2f, x.GradSpan(), x.GradSpan());
    /// });
    /// </code>
    /// The output must be a fresh tensor (not a leaf already on the tape).
    /// </summary>
    public static bool Record(string op, Tensor output, Tensor[] inputs, Action<Tensor> backward)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(backward);
        if (!Autograd.IsEnabled) return false;
        bool any = false;
        foreach (var t in inputs) any |= t.RequiresGrad;
        if (!any) return false;
        if (output._node is not null || output._requiresGrad)
            throw new InvalidOperationException($"Record('{op}'): output {ShapeOf.Format(output._shape)} is already on the tape.");
        output._node = new GradNode(op, inputs, backward);
        return true;
    }

    internal static bool AnyRequiresGrad(Tensor a) => Autograd.IsEnabled && a.RequiresGrad;

    internal static bool AnyRequiresGrad(Tensor a, Tensor b) => Autograd.IsEnabled && (a.RequiresGrad || b.RequiresGrad);

    /// <summary>
    /// The gradient buffer a backward closure adds into: contiguous, this tensor's shape, zero-filled on first use.
    /// Leaves keep it (accumulating across Backward calls until <see cref="ZeroGrad"/>); intermediates get a pooled
    /// buffer released as soon as their own backward has run.
    /// </summary>
    public Span<float> GradSpan() => GradTensor().Data.AsSpan(0, _length);

    internal Tensor GradTensor()
    {
        if (_grad is null)
        {
            if (_node is null)
            {
                var s = (int[])_shape.Clone();
                _grad = new Tensor(new Storage(new float[_length], pooled: false), s, ShapeOf.ContiguousStrides(s), 0);
            }
            else
            {
                _grad = AllocateTemp(_shape, clear: true);
            }
        }
        return _grad;
    }

    /// <summary>Adds <paramref name="g"/> to this tensor's gradient, summing over broadcast dimensions when g is larger.</summary>
    public void AccumulateGrad(Tensor g)
    {
        ArgumentNullException.ThrowIfNull(g);
        var dst = GradSpan();
        if (ShapeOf.SameShape(g._shape, _shape))
        {
            if (g.IsContiguous) System.Numerics.Tensors.TensorPrimitives.Add(dst, g.Data.AsSpan(g._offset, g._length), dst);
            else
            {
                var tmp = AllocateTemp(g._shape, clear: false);
                StridedCopy.ToContiguous(g, tmp.Data.AsSpan(0, g._length));
                System.Numerics.Tensors.TensorPrimitives.Add(dst, tmp.Data.AsSpan(0, g._length), dst);
                tmp.ReleaseTemp();
            }
            return;
        }
        Broadcasting.SumInto(g, _shape, dst, "AccumulateGrad");
    }

    /// <summary>
    /// Back-propagates from this tensor. A scalar needs no <paramref name="gradient"/> (it is 1); otherwise pass
    /// d(loss)/d(this) of this tensor's shape. Leaf gradients accumulate across calls; the graph is released
    /// (the tape holds no references afterwards), so a second Backward through the same graph reaches nothing.
    /// Throws if a scalar loss is NaN or infinite, naming the op that produced it.
    /// </summary>
    public void Backward(Tensor? gradient = null)
    {
        if (!RequiresGrad) throw new InvalidOperationException($"Backward: tensor {ShapeOf.Format(_shape)} does not require a gradient (no input is a parameter, or it was computed under NoGrad).");
        if (gradient is null)
        {
            if (_length != 1) throw new InvalidOperationException($"Backward: tensor {ShapeOf.Format(_shape)} is not a scalar; pass a gradient.");
            float v = Data[_offset];
            if (!float.IsFinite(v)) throw new ArithmeticException($"Backward: loss is {v} (produced by '{_node?.Op ?? "leaf"}', shape {ShapeOf.Format(_shape)}).");
        }
        else if (!ShapeOf.SameShape(gradient._shape, _shape))
        {
            throw new ArgumentException($"Backward: gradient shape {ShapeOf.Format(gradient._shape)} differs from tensor shape {ShapeOf.Format(_shape)}.");
        }

        using var _ = Autograd.NoGrad();
        if (gradient is null) GradSpan()[0] += 1f;
        else AccumulateGrad(gradient);
        if (_node is null) return;

        var order = TopologicalOrder();
        try
        {
            for (int i = order.Count - 1; i >= 0; i--)
            {
                var t = order[i];
                var node = t._node!;
                var g = t._grad;
                t._node = null;
                t._grad = null;
                if (g is null) continue;
                node.Backward(g);
                g.ReleaseTemp();
            }
        }
        finally
        {
            // After an exception, still cut the graph so nothing is retained.
            foreach (var t in order)
            {
                t._node = null;
                t._grad?.ReleaseTemp();
                t._grad = null;
            }
            order.Clear();
        }
    }

    // Non-leaf tensors reachable from this one, inputs before outputs (iterative DFS; deep RNN graphs would overflow recursion).
    private List<Tensor> TopologicalOrder()
    {
        var order = _topoOrder ??= new List<Tensor>(256);
        var stack = _dfsStack ??= new Stack<(Tensor, int)>(256);
        int mark = Interlocked.Increment(ref _markCounter);
        order.Clear();
        _node!.Mark = mark;
        stack.Push((this, 0));
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t._node!.Inputs;
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child._node is not null && child._node.Mark != mark)
                {
                    child._node.Mark = mark;
                    stack.Push((child, 0));
                }
            }
            else
            {
                order.Add(t);
            }
        }
        return order;
    }
}
