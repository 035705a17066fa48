using TinyLM.Kernels;

namespace TinyLM.Nn;

/// <summary>
/// Quantization as a weight format: a module may hold, beside a float32 parameter, the same matrix in another storage
/// (int8 per row, q8_0/q4_0 blocks, …) behind <see cref="IWeightMatrix"/>, and then runs its usual forward from that
/// matrix. The float32 parameter is kept and should hold the dequantized values, so code that reads parameters
/// (pruning, distillation, export) sees the same model. A module says which of its parameters it can run quantized.
/// </summary>
public abstract partial class Module
{
    private Dictionary<string, IWeightMatrix>? _formats;

    /// <summary>Whether this module can run its own parameter <paramref name="name"/> from a quantized matrix.</summary>
    protected virtual bool IsQuantizable(string name) => false;

    /// <summary>The quantized form of this module's own parameter <paramref name="name"/>, or null when it runs in float32.</summary>
    protected IWeightMatrix? WeightFormat(string name) => _formats?.GetValueOrDefault(name);

    /// <summary>Whether any of this module's own parameters runs quantized.</summary>
    protected bool HasWeightFormats => _formats is { Count: > 0 };

    /// <summary>
    /// Makes parameter <paramref name="name"/> (dotted, as <see cref="NamedParameters"/> spells it) run from
    /// <paramref name="matrix"/>, or again from its float32 values when null. The matrix must have the parameter's
    /// (rows, cols) and the owning module must be able to run it quantized.
    /// </summary>
    public void SetWeightFormat(string name, IWeightMatrix? matrix)
    {
        ArgumentNullException.ThrowIfNull(name);
        var (owner, local) = Resolve(name);
        var parameter = owner._parameters.Find(p => p.Key == local).Value
            ?? throw new ArgumentException($"{GetType().Name}: no parameter '{name}'.");
        if (matrix is null)
        {
            owner._formats?.Remove(local);
            return;
        }
        if (!owner.IsQuantizable(local))
            throw new ArgumentException($"{GetType().Name}: '{name}' ({owner.GetType().Name}) cannot run quantized.");
        if (parameter.Rank != 2 || parameter.Dim(0) != matrix.Rows || parameter.Dim(1) != matrix.Cols)
            throw new ArgumentException(
                $"{GetType().Name}: '{name}' is ({string.Join(", ", parameter.Shape)}), its quantized form ({matrix.Rows}, {matrix.Cols}).");
        (owner._formats ??= new Dictionary<string, IWeightMatrix>(StringComparer.Ordinal))[local] = matrix;
    }

    /// <summary>The quantized form of parameter <paramref name="name"/> (dotted, as <see cref="NamedParameters"/> spells it), or null when it runs in float32.</summary>
    public IWeightMatrix? WeightFormatOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var (owner, local) = Resolve(name);
        return owner.WeightFormat(local);
    }

    /// <summary>Whether any parameter of this module or its children runs quantized.</summary>
    public bool HasQuantizedWeights => NamedWeightFormats().Any();

    /// <summary>Every parameter that runs quantized, with its dotted name and matrix, in <see cref="NamedParameters"/> order.</summary>
    public IEnumerable<KeyValuePair<string, IWeightMatrix>> NamedWeightFormats()
    {
        foreach (var p in _parameters)
            if (WeightFormat(p.Key) is { } matrix) yield return new(p.Key, matrix);
        foreach (var child in _children)
            foreach (var f in child.Value.NamedWeightFormats())
                yield return new(child.Key + "." + f.Key, f.Value);
    }

    /// <summary>The dotted names of every parameter that could run quantized, in <see cref="NamedParameters"/> order.</summary>
    public IEnumerable<string> QuantizableParameterNames()
    {
        foreach (var p in _parameters)
            if (IsQuantizable(p.Key) && p.Value.Rank == 2) yield return p.Key;
        foreach (var child in _children)
            foreach (var name in child.Value.QuantizableParameterNames())
                yield return child.Key + "." + name;
    }

    // The module that registered the last segment of a dotted name, and that segment.
    private (Module Owner, string Local) Resolve(string name)
    {
        var module = this;
        string rest = name;
        for (int dot = rest.IndexOf('.'); dot >= 0; dot = rest.IndexOf('.'))
        {
            string head = rest[..dot];
            module = module._children.Find(c => c.Key == head).Value ?? throw new ArgumentException($"{GetType().Name}: no parameter '{name}'.");
            rest = rest[(dot + 1)..];
        }
        return (module, rest);
    }
}
