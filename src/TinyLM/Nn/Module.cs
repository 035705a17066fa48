using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// Base of every layer and model: a registry of named parameters and child modules, and the
/// training/evaluation switch. Names compose with dots (<c>encoder.weight_ih_l0</c>) so checkpoint keys
/// match PyTorch's state_dict.
/// </summary>
public abstract partial class Module
{
    private readonly List<KeyValuePair<string, Tensor>> _parameters = [];
    private readonly List<KeyValuePair<string, Module>> _children = [];

    /// <summary>True in training mode (dropout active); set with <see cref="Train"/> and <see cref="Eval"/>.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Switches this module and its children to training mode (or evaluation mode when false).</summary>
    public Module Train(bool training = true)
    {
        Training = training;
        foreach (var child in _children) child.Value.Train(training);
        return this;
    }

    /// <summary>Switches this module and its children to evaluation mode.</summary>
    public Module Eval() => Train(false);

    /// <summary>This module and all its descendants, depth first, in registration order.</summary>
    public IEnumerable<Module> Modules()
    {
        yield return this;
        foreach (var child in _children)
            foreach (var m in child.Value.Modules())
                yield return m;
    }

    /// <summary>Reseeds every random-drawing module from (<paramref name="seed"/>, <paramref name="step"/>) so a step's draws depend on nothing else.</summary>
    public void ReseedForStep(ulong seed, long step)
    {
        ulong i = 0;
        foreach (var m in Modules())
            if (m is IReseedable r) r.Reseed(seed ^ (0x9E3779B97F4A7C15UL * (ulong)(step + 1)) ^ (0xD1B54A32D192ED03UL * ++i));
    }

    /// <summary>Every parameter with its dotted name, own parameters first, then children's in registration order.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedParameters()
    {
        foreach (var p in _parameters) yield return p;
        foreach (var child in _children)
            foreach (var p in child.Value.NamedParameters())
                yield return new(child.Key + "." + p.Key, p.Value);
    }

    /// <summary>Every parameter, in <see cref="NamedParameters"/> order.</summary>
    public IEnumerable<Tensor> Parameters()
    {
        foreach (var p in NamedParameters()) yield return p.Value;
    }

    /// <summary>Total number of trainable scalars.</summary>
    public long ParameterCount()
    {
        long n = 0;
        foreach (var p in Parameters()) n += p.Length;
        return n;
    }

    /// <summary>
    /// Every parameter under its dotted name, in <see cref="NamedParameters"/> order. The tensors are the live
    /// parameters (not copies): a writer reads them, <see cref="LoadStateDict"/> writes into them.
    /// </summary>
    public IReadOnlyList<(string Name, Tensor Value)> StateDict()
    {
        var list = new List<(string, Tensor)>();
        foreach (var p in NamedParameters()) list.Add((p.Key, p.Value));
        return list;
    }

    /// <summary>
    /// Copies values into the parameters with the same names. Shapes must match exactly. With
    /// <paramref name="strict"/>, every parameter must be supplied and every supplied name must exist;
    /// otherwise unknown names are ignored and missing ones keep their values. Returns the number copied.
    /// Nothing is written unless every check passes.
    /// </summary>
    public int LoadStateDict(IEnumerable<(string Name, Tensor Value)> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var own = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var p in NamedParameters()) own[p.Key] = p.Value;
        var pending = new List<(Tensor Target, Tensor Source)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in state)
        {
            ArgumentNullException.ThrowIfNull(value);
            if (!seen.Add(name)) throw new ArgumentException($"{GetType().Name}.LoadStateDict: '{name}' is given twice.");
            if (!own.TryGetValue(name, out var target))
            {
                if (strict) throw new ArgumentException($"{GetType().Name}.LoadStateDict: unexpected key '{name}' (the module has no such parameter).");
                continue;
            }
            if (!SameShape(target.Shape, value.Shape))
                throw new ArgumentException($"{GetType().Name}.LoadStateDict: '{name}' has shape ({string.Join(", ", value.Shape)}), the parameter is ({string.Join(", ", target.Shape)}).");
            pending.Add((target, value));
        }
        if (strict)
            foreach (var name in own.Keys)
                if (!seen.Contains(name)) throw new ArgumentException($"{GetType().Name}.LoadStateDict: missing key '{name}'.");
        using (Tensor.NoGrad())
            foreach (var (target, source) in pending)
                source.Contiguous().AsSpan().CopyTo(target.AsSpan());
        return pending.Count;
    }

    private static bool SameShape(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++) if (a[i] != b[i]) return false;
        return true;
    }

    /// <summary>Zeroes the gradient of every parameter.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    /// <summary>Registers a trainable parameter under <paramref name="name"/> (unique within this module).</summary>
    protected Tensor RegisterParameter(string name, Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        CheckName(name);
        if (!parameter.IsLeaf) throw new ArgumentException($"{GetType().Name}.RegisterParameter('{name}'): the tensor is the output of an op, not a leaf.");
        parameter.RequiresGrad = true;
        parameter.Name ??= name;
        _parameters.Add(new(name, parameter));
        return parameter;
    }

    /// <summary>Registers a child module under <paramref name="name"/>; its parameters appear as <c>name.param</c>.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckName(name);
        _children.Add(new(name, module));
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"{GetType().Name}: invalid name '{name}' (non-empty, no dots).");
        foreach (var p in _parameters)
            if (p.Key == name) throw new ArgumentException($"{GetType().Name}: '{name}' is already registered.");
        foreach (var c in _children)
            if (c.Key == name) throw new ArgumentException($"{GetType().Name}: '{name}' is already registered.");
    }
}
