using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// A named optimizer buffer, for checkpoints: <c>{parameter}.{buffer}</c> with PyTorch's buffer names
/// (<c>exp_avg</c>, <c>exp_avg_sq</c>, <c>momentum_buffer</c>).
/// </summary>
/// <param name="Name">Dotted key, e.g. <c>encoder.weight.exp_avg</c>.</param>
/// <param name="Values">The buffer, one value per parameter element.</param>
public sealed record OptimizerBuffer(string Name, float[] Values);

/// <summary>Everything an optimizer needs to resume: the step count and its per-parameter buffers.</summary>
/// <param name="Step">Updates done so far (Adam's bias correction depends on it).</param>
/// <param name="Buffers">Every buffer under its key.</param>
public sealed record OptimizerState(long Step, IReadOnlyList<OptimizerBuffer> Buffers);

/// <summary>
/// Base of the optimizers: holds the parameters (with names, for messages and checkpoint keys), whether each
/// one gets weight decay, the learning rate (set it from a schedule before each <see cref="Step"/>) and the step
/// count. Updates are span loops over each parameter's storage: no allocation per step, same bits every run.
/// Parameters without a gradient (unused in the step) are skipped.
/// </summary>
public abstract class Optimizer
{
    private readonly string[] _names;
    private readonly Tensor[] _parameters;
    private readonly bool[] _decay;
    private int _rowsIndex = -1;
    private int _rowLength;
    private int[] _rows = [];

    /// <summary>
    /// Registers <paramref name="parameters"/>; <paramref name="applyWeightDecay"/> picks which get weight decay
    /// (all when null; <see cref="DecayMatricesOnly"/> excludes biases and norm weights).
    /// </summary>
    protected Optimizer(IEnumerable<KeyValuePair<string, Tensor>> parameters, float learningRate, Func<string, Tensor, bool>? applyWeightDecay)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var names = new List<string>();
        var tensors = new List<Tensor>();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (name, p) in parameters)
        {
            ArgumentNullException.ThrowIfNull(p);
            if (!p.IsLeaf || !p.IsContiguous)
                throw new ArgumentException($"{GetType().Name}: parameter '{name}' must be a contiguous leaf tensor.");
            if (!seen.Add(p)) continue; // tied weights appear once
            names.Add(name);
            tensors.Add(p);
        }
        _names = [.. names];
        _parameters = [.. tensors];
        _decay = new bool[_parameters.Length];
        for (int i = 0; i < _decay.Length; i++) _decay[i] = applyWeightDecay?.Invoke(_names[i], _parameters[i]) ?? true;
        LearningRate = learningRate;
    }

    /// <summary>Names parameters by their <see cref="Tensor.Name"/>, or <c>p{index}</c>.</summary>
    protected static IEnumerable<KeyValuePair<string, Tensor>> Named(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        int i = 0;
        foreach (var p in parameters)
        {
            yield return new($"p{i}" + (p?.Name is null ? "" : "." + p.Name), p!);
            i++;
        }
    }

    /// <summary>Weight decay on tensors of rank ≥ 2 only (weights and embeddings, not biases or norm scales), as nanoGPT.</summary>
    public static bool DecayMatricesOnly(string name, Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        return parameter.Rank >= 2;
    }

    /// <summary>Learning rate used by the next <see cref="Step"/>.</summary>
    public float LearningRate
    {
        get;
        set
        {
            if (!(value >= 0f) || !float.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), $"{GetType().Name}: learning rate {value} must be finite and ≥ 0.");
            field = value;
        }
    }

    /// <summary>Updates done so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>Number of parameters managed.</summary>
    public int Count => _parameters.Length;

    /// <summary>The parameters, in registration order.</summary>
    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <summary>Their names.</summary>
    public IReadOnlyList<string> ParameterNames => _names;

    /// <summary>Whether parameter <paramref name="index"/> gets weight decay.</summary>
    public bool DecaysParameter(int index) => _decay[index];

    /// <summary>
    /// From now on, updates (and clips and zeroes the gradient of) only the rows of <paramref name="table"/> named by
    /// <see cref="SetRows"/> before each step: a lazy update, whose untouched rows keep their values and optimizer state
    /// as they are. A bag of hashed n-grams has hundreds of thousands of rows of which a batch touches a few thousand, so
    /// a step then costs O(rows touched), not O(table). Rows are slices of <paramref name="rowLength"/> values.
    /// </summary>
    public void UpdateRowsOnly(Tensor table, int rowLength)
    {
        ArgumentNullException.ThrowIfNull(table);
        int index = Array.FindIndex(_parameters, p => ReferenceEquals(p, table));
        if (index < 0) throw new ArgumentException($"{GetType().Name}.UpdateRowsOnly: the table is not among the parameters.", nameof(table));
        if (rowLength < 1 || table.Length % rowLength != 0)
            throw new ArgumentOutOfRangeException(nameof(rowLength), $"{GetType().Name}.UpdateRowsOnly: rows of {rowLength} do not tile '{_names[index]}' ({table.Length} values).");
        _rowsIndex = index;
        _rowLength = rowLength;
    }

    /// <summary>The rows of the <see cref="UpdateRowsOnly"/> table that the next step updates: distinct, ascending.</summary>
    public void SetRows(int[] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (_rowsIndex < 0) throw new InvalidOperationException($"{GetType().Name}.SetRows: call UpdateRowsOnly first.");
        _rows = rows;
    }

    /// <summary>Applies one update to every parameter that has a gradient.</summary>
    public void Step()
    {
        StepCount++;
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            var g = p.Grad;
            if (g is null) continue;
            if (i != _rowsIndex)
            {
                Update(i, 0, p.AsSpan(), g.AsSpan(), _decay[i]);
                continue;
            }
            foreach (int r in _rows)
                Update(i, r * _rowLength, p.AsSpan().Slice(r * _rowLength, _rowLength), g.AsSpan().Slice(r * _rowLength, _rowLength), _decay[i]);
        }
    }

    /// <summary>Zeroes every parameter's gradient (of the <see cref="UpdateRowsOnly"/> table, the rows set: the others are zero).</summary>
    public void ZeroGrad()
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            if (i != _rowsIndex)
            {
                _parameters[i].ZeroGrad();
                continue;
            }
            var g = _parameters[i].Grad;
            if (g is null) continue;
            foreach (int r in _rows) g.AsSpan().Slice(r * _rowLength, _rowLength).Clear();
        }
    }

    /// <summary>
    /// Where the gradients the next <see cref="Step"/> reads first hold a NaN or an infinity — "gradient of 'name' is NaN
    /// at element i" — or null when all are finite. Of the <see cref="UpdateRowsOnly"/> table only the rows set are read,
    /// so a sparse step stays as cheap as the step itself.
    /// </summary>
    public string? FindNonFiniteGradient()
    {
        string? found = null;
        ForEachGradientSlice((name, s) =>
        {
            // MaxMagnitude is NaN when any element is, infinite when any is: one vectorised pass per tensor.
            if (found is not null || s.Length == 0 || float.IsFinite(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(s))) return;
            int i = 0;
            while (float.IsFinite(s[i])) i++;
            found = $"gradient of '{name}' is {s[i]} at element {i}";
        });
        return found;
    }

    /// <summary>
    /// Clips the gradients of the registered parameters to a global L2 norm of <paramref name="maxNorm"/>
    /// (<see cref="GradClip.ClipGlobalNorm(IEnumerable{KeyValuePair{string, Tensor}}, float)"/>); of the
    /// <see cref="UpdateRowsOnly"/> table only the rows set are read and scaled. Returns the norm before clipping.
    /// </summary>
    public float ClipGradients(float maxNorm)
    {
        if (_rowsIndex < 0)
        {
            var named = new KeyValuePair<string, Tensor>[_parameters.Length];
            for (int i = 0; i < named.Length; i++) named[i] = new(_names[i], _parameters[i]);
            return GradClip.ClipGlobalNorm(named, maxNorm);
        }
        if (!(maxNorm > 0f)) throw new ArgumentOutOfRangeException(nameof(maxNorm), $"{GetType().Name}.ClipGradients: max norm {maxNorm} must be > 0.");
        double total = 0;
        ForEachGradientSlice((name, s) => total += SumOfSquares(s, name));
        double norm = Math.Sqrt(total);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1.0)
            ForEachGradientSlice((_, s) =>
            {
                for (int i = 0; i < s.Length; i++) s[i] *= (float)coef;
            });
        return (float)norm;
    }

    private delegate void GradientSliceAction(string name, Span<float> gradient);

    // The gradients that the next step reads: whole, or the rows set of the UpdateRowsOnly table.
    private void ForEachGradientSlice(GradientSliceAction action)
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            var g = _parameters[i].Grad;
            if (g is null) continue;
            if (i != _rowsIndex) action(_names[i], g.AsSpan());
            else foreach (int r in _rows) action(_names[i], g.AsSpan().Slice(r * _rowLength, _rowLength));
        }
    }

    // Summed in double element by element: the row-sparse path's own arithmetic since it was written (GradClip sums
    // in float per tensor), so models trained with it keep their bits.
    private double SumOfSquares(ReadOnlySpan<float> s, string name)
    {
        double sum = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (!float.IsFinite(s[i]))
                throw new ArithmeticException($"{GetType().Name}: gradient of '{name}' is {s[i]} at element {i}.");
            sum += (double)s[i] * s[i];
        }
        return sum;
    }

    /// <summary>
    /// Updates parameter <paramref name="index"/>, or its slice that starts at element <paramref name="offset"/> (the
    /// buffers are sliced alike); <see cref="StepCount"/> is already the new step (1 on the first call).
    /// </summary>
    protected abstract void Update(int index, int offset, Span<float> parameter, ReadOnlySpan<float> gradient, bool decay);

    /// <summary>The buffer kinds this optimizer keeps per parameter (PyTorch names), in a fixed order.</summary>
    protected abstract IReadOnlyList<string> BufferKinds { get; }

    /// <summary>The live buffer of kind <paramref name="kind"/> (index into <see cref="BufferKinds"/>) for parameter <paramref name="index"/>.</summary>
    protected abstract float[] Buffer(int kind, int index);

    /// <summary>The step count and the live buffers (not copies: write them out before the next step).</summary>
    public OptimizerState GetState()
    {
        var list = new List<OptimizerBuffer>(_parameters.Length * BufferKinds.Count);
        for (int i = 0; i < _parameters.Length; i++)
            for (int k = 0; k < BufferKinds.Count; k++)
                list.Add(new OptimizerBuffer(_names[i] + "." + BufferKinds[k], Buffer(k, i)));
        return new OptimizerState(StepCount, list);
    }

    /// <summary>
    /// Restores a state saved by <see cref="GetState"/> for the same parameters: every key must be present with
    /// the right length (checked before anything is written).
    /// </summary>
    public void LoadState(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Step < 0) throw new ArgumentException($"{GetType().Name}.LoadState: negative step {state.Step}.");
        var byName = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var b in state.Buffers)
            if (!byName.TryAdd(b.Name, b.Values)) throw new ArgumentException($"{GetType().Name}.LoadState: buffer '{b.Name}' appears twice.");
        int expected = _parameters.Length * BufferKinds.Count;
        if (byName.Count != expected)
            throw new ArgumentException($"{GetType().Name}.LoadState: {byName.Count} buffers given, {expected} expected ({_parameters.Length} parameters × {BufferKinds.Count}).");
        for (int i = 0; i < _parameters.Length; i++)
            for (int k = 0; k < BufferKinds.Count; k++)
            {
                string key = _names[i] + "." + BufferKinds[k];
                if (!byName.TryGetValue(key, out var v)) throw new ArgumentException($"{GetType().Name}.LoadState: missing buffer '{key}'.");
                if (v.Length != _parameters[i].Length)
                    throw new ArgumentException($"{GetType().Name}.LoadState: buffer '{key}' has {v.Length} values, parameter has {_parameters[i].Length}.");
            }
        for (int i = 0; i < _parameters.Length; i++)
            for (int k = 0; k < BufferKinds.Count; k++)
                byName[_names[i] + "." + BufferKinds[k]].AsSpan().CopyTo(Buffer(k, i));
        StepCount = state.Step;
    }

    /// <summary>One zeroed buffer per parameter.</summary>
    protected float[][] NewBuffers()
    {
        var b = new float[_parameters.Length][];
        for (int i = 0; i < b.Length; i++) b[i] = new float[_parameters[i].Length];
        return b;
    }
}
