using System.Buffers;
using System.Runtime.InteropServices;

namespace TinyLM.Kernels;

/// <summary>
/// A pooled float buffer pinned for the duration of a kernel call, so the time-step loops can use raw
/// pointers without nesting a fixed statement per buffer.
/// </summary>
internal unsafe struct PinnedScratch : IDisposable
{
    private float[]? _array;
    private GCHandle _handle;

    public float* Ptr { get; private set; }

    public static PinnedScratch Rent(long length, bool clear)
    {
        if (length > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(length), $"Recurrent kernel scratch of {length} floats is too large.");
        var s = new PinnedScratch { _array = ArrayPool<float>.Shared.Rent((int)Math.Max(1, length)) };
        if (clear) Array.Clear(s._array, 0, (int)length);
        s._handle = GCHandle.Alloc(s._array, GCHandleType.Pinned);
        s.Ptr = (float*)s._handle.AddrOfPinnedObject();
        return s;
    }

    public void Dispose()
    {
        if (_array is null) return;
        _handle.Free();
        ArrayPool<float>.Shared.Return(_array);
        _array = null;
        Ptr = null;
    }
}
