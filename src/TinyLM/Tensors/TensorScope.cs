namespace TinyLM.Tensors;

/// <summary>
/// Collects every tensor created on this thread while it is the innermost scope and returns their buffers to
/// <see cref="TensorPool"/> when disposed, so a training step allocates (almost) nothing once warm.
/// Tensors that must outlive the scope are kept with <see cref="Tensor.Keep"/> or <see cref="Keep"/>.
/// Parameters (<see cref="Tensor.Parameter(int[])"/>) and leaf gradients are never pooled.
/// <code>
/// for (int step = 0; step &lt; steps; step++)
/// {
///     using var scope = new TensorScope();
///     var loss = Tensor.CrossEntropy(model.Forward(x), y);
///     loss.Backward();
///     optimizer.Step();
///     lossValue = loss.Item();   // read before the scope ends
/// }
/// </code>
/// Scopes nest; a scope must be disposed on the thread that created it, innermost first.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;
    private readonly TensorScope? _parent;
    private readonly List<Storage> _owned = new(64);
    private bool _disposed;

    /// <summary>Opens a scope that becomes the innermost on this thread.</summary>
    public TensorScope()
    {
        _parent = _current;
        _current = this;
    }

    internal static TensorScope? Current => _current;

    /// <summary>Keeps a tensor (and every view of its storage) alive past this scope.</summary>
    public Tensor Keep(Tensor t) => t.Keep();

    internal void Register(Storage s) => _owned.Add(s);

    /// <summary>Returns every non-kept buffer created in the scope to the pool.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (_current != this)
            throw new InvalidOperationException("TensorScope: scopes must be disposed innermost first, on the thread that created them.");
        _disposed = true;
        _current = _parent;
        foreach (var s in _owned) s.Release();
        _owned.Clear();
    }
}
