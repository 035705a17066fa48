using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>A module with one tensor in and one tensor out, so it can be chained in <see cref="Sequential"/>.</summary>
public interface ILayer
{
    /// <summary>Applies the layer.</summary>
    Tensor Forward(Tensor input);
}
