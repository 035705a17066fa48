using System.Numerics.Tensors;

namespace TinyLM.Kernels;

/// <summary>
/// Sizes of one recurrent layer in one direction over a batch-first input (B, T, I).
/// <paramref name="Reverse"/> runs each sequence from its last valid token back to its first.
/// </summary>
/// <param name="Batch">B, number of sequences.</param>
/// <param name="SeqLen">T, padded sequence length.</param>
/// <param name="InputSize">I, features per input step.</param>
/// <param name="HiddenSize">H, hidden (and cell) state size.</param>
/// <param name="Reverse">Process each valid prefix back to front (the reverse half of a bidirectional layer).</param>
public readonly record struct RecurrentShape(int Batch, int SeqLen, int InputSize, int HiddenSize, bool Reverse = false)
{
    internal void Validate(string op)
    {
        if (Batch < 0 || SeqLen < 0 || InputSize < 0 || HiddenSize <= 0)
            throw new ArgumentException($"{op}: invalid shape B={Batch} T={SeqLen} I={InputSize} H={HiddenSize}.");
    }

    public override string ToString() =>
        $"B={Batch} T={SeqLen} I={InputSize} H={HiddenSize}{(Reverse ? " reverse" : "")}";
}

/// <summary>Argument checks, step/position bookkeeping and small loops shared by the LSTM and GRU kernels.</summary>
internal static unsafe class RecurrentCommon
{
    /// <summary>
    /// Checks that a span holds exactly <paramref name="expected"/> floats, or is empty when optional.
    /// Returns whether it is present.
    /// </summary>
    public static bool Optional(string op, string name, int actual, long expected, RecurrentShape shape)
    {
        if (actual == 0 && expected != 0) return false;
        if (actual != expected)
            throw new ArgumentException($"{op}: {name} holds {actual} floats, expected {expected} (or none) for {shape}.");
        return true;
    }

    public static void Required(string op, string name, int actual, long expected, RecurrentShape shape)
    {
        if (actual != expected)
            throw new ArgumentException($"{op}: {name} holds {actual} floats, expected {expected} for {shape}.");
    }

    /// <summary>Checks a (B, T, ld) row-major buffer whose first H columns are used.</summary>
    public static bool Strided(string op, string name, int actual, int ld, RecurrentShape shape, bool optional)
    {
        if (optional && actual == 0) return false;
        if (ld < shape.HiddenSize)
            throw new ArgumentException($"{op}: leading dimension of {name} is {ld}, less than H for {shape}.");
        long rows = (long)shape.Batch * shape.SeqLen;
        long needed = rows == 0 ? 0 : (rows - 1) * ld + shape.HiddenSize;
        if (actual < needed)
            throw new ArgumentException($"{op}: {name} holds {actual} floats, needs {needed} for {shape} with ld={ld}.");
        return true;
    }

    /// <summary>Validates per-sequence lengths (empty = every sequence is full) and returns the longest.</summary>
    public static int MaxLength(string op, ReadOnlySpan<int> lengths, RecurrentShape shape)
    {
        if (lengths.IsEmpty) return shape.Batch == 0 ? 0 : shape.SeqLen;
        if (lengths.Length != shape.Batch)
            throw new ArgumentException($"{op}: lengths has {lengths.Length} entries, expected one per sequence for {shape}.");
        int max = 0;
        for (int b = 0; b < lengths.Length; b++)
        {
            int len = lengths[b];
            if ((uint)len > (uint)shape.SeqLen)
                throw new ArgumentException($"{op}: lengths[{b}] = {len} is outside [0, {shape.SeqLen}] for {shape}.");
            max = Math.Max(max, len);
        }
        return max;
    }

    /// <summary>Copies the lengths (or T for every sequence) into a scratch array.</summary>
    public static void FillLengths(ReadOnlySpan<int> lengths, RecurrentShape shape, Span<int> into)
    {
        if (lengths.IsEmpty) into[..shape.Batch].Fill(shape.SeqLen);
        else lengths.CopyTo(into);
    }

    /// <summary>
    /// Time position that step <paramref name="step"/> of a sequence with <paramref name="length"/> valid
    /// tokens reads, or -1 when the sequence has ended (its state is then carried unchanged).
    /// </summary>
    public static int Position(int step, int length, bool reverse) =>
        step >= length ? -1 : reverse ? length - 1 - step : step;

    /// <summary>Writes zeros into the output rows past each sequence's length, as PyTorch's unpacking does.</summary>
    public static void ZeroPadding(float* y, int ld, ReadOnlySpan<int> lens, RecurrentShape shape)
    {
        for (int b = 0; b < shape.Batch; b++)
            for (int t = lens[b]; t < shape.SeqLen; t++)
                new Span<float>(y + ((long)b * shape.SeqLen + t) * ld, shape.HiddenSize).Clear();
    }

    /// <summary>Sets each of <paramref name="rows"/> rows of width <paramref name="width"/> to biasA + biasB (either may be null).</summary>
    public static void FillBias(float* dst, long rows, int width, float* biasA, float* biasB)
    {
        var first = new Span<float>(dst, width);
        first.Clear();
        if (biasA != null) TensorPrimitives.Add(first, new ReadOnlySpan<float>(biasA, width), first);
        if (biasB != null) TensorPrimitives.Add(first, new ReadOnlySpan<float>(biasB, width), first);
        for (long r = 1; r < rows; r++) first.CopyTo(new Span<float>(dst + r * width, width));
    }

    /// <summary>
    /// dst (cols×rows) = srcᵀ for a row-major (rows×cols) src. The recurrent kernels transpose W_hh once per call so
    /// that every time step's h·W_hhᵀ runs as a plain NN product instead of re-gathering the transposed operand per
    /// step; the GEMM sums the same terms in the same order either way, so the bits do not change.
    /// </summary>
    public static void Transpose(float* src, int rows, int cols, float* dst)
    {
        const int Block = 16; // a block of source rows and destination rows stays within L1
        for (int r0 = 0; r0 < rows; r0 += Block)
        {
            int r1 = Math.Min(rows, r0 + Block);
            for (int c = 0; c < cols; c++)
            {
                float* d = dst + (long)c * rows;
                for (int r = r0; r < r1; r++) d[r] = src[(long)r * cols + c];
            }
        }
    }

    /// <summary>Adds the column sums of a (rows, width) matrix to <paramref name="dst"/>, rows in order so the sum is deterministic.</summary>
    public static void AddColumnSums(float* src, long rows, int width, Span<float> dst)
    {
        for (long r = 0; r < rows; r++)
            TensorPrimitives.Add(dst, new ReadOnlySpan<float>(src + r * width, width), dst);
    }
}
