using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>Layers applied in order; children are named "0", "1", … like PyTorch's nn.Sequential.</summary>
public sealed class Sequential : Module, ILayer
{
    private readonly ILayer[] _layers;

    /// <summary>Chains <paramref name="layers"/> (each a <see cref="Module"/> implementing <see cref="ILayer"/>).</summary>
    public Sequential(params Module[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        _layers = new ILayer[layers.Length];
        for (int i = 0; i < layers.Length; i++)
        {
            if (layers[i] is not ILayer layer)
                throw new ArgumentException($"Sequential: layer {i} ({layers[i]?.GetType().Name ?? "null"}) does not implement ILayer.");
            RegisterModule(i.ToString(System.Globalization.CultureInfo.InvariantCulture), layers[i]);
            _layers[i] = layer;
        }
    }

    /// <summary>Number of layers.</summary>
    public int Count => _layers.Length;

    /// <summary>Runs every layer in order.</summary>
    public Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var layer in _layers) x = layer.Forward(x);
        return x;
    }
}
