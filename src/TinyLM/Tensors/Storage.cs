namespace TinyLM.Tensors;

/// <summary>Element type of a tensor's storage. Only float32 today; int8 and 4-bit blocks are reserved for compression.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float.</summary>
    Float32,
}

/// <summary>
/// The buffer behind one or more tensors (a tensor and its views share one storage). A pooled storage goes
/// back to <see cref="TensorPool"/> when the <see cref="TensorScope"/> that created it ends, unless kept.
/// </summary>
internal sealed class Storage
{
    private float[]? _data;

    public Storage(float[] data, bool pooled)
    {
        _data = data;
        Pooled = pooled;
    }

    /// <summary>True when the buffer came from the pool and must go back to it.</summary>
    public bool Pooled { get; private set; }

    public bool IsReleased => _data is null;

    public float[] Data => _data ?? throw new ObjectDisposedException(nameof(Tensor),
        "Tensor storage was returned to the pool when its TensorScope ended; call Keep() on tensors that must outlive the scope.");

    /// <summary>Detaches the buffer from pooling: it stays valid for as long as someone references it.</summary>
    public void Keep() => Pooled = false;

    /// <summary>Returns the buffer to the pool (idempotent). Unpooled storage is left alone.</summary>
    public void Release()
    {
        if (!Pooled || _data is null) return;
        TensorPool.Return(_data);
        _data = null;
    }
}
