using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// Inverted dropout: in training each element is zeroed with probability p and the rest scaled by 1/(1−p);
/// in evaluation (<see cref="Module.Eval"/>) it is the identity. Masks come from the module's own
/// <see cref="Rng"/> (a split of the one passed in), so runs are reproducible.
/// </summary>
public sealed class Dropout : Module, ILayer, IReseedable
{
    private readonly Rng _rng;

    /// <summary>Drop probability in [0, 1).</summary>
    public float P { get; }

    /// <summary>A dropout layer drawing masks from a split of <paramref name="rng"/>.</summary>
    public Dropout(float p, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: p = {p} is not in [0, 1).");
        P = p;
        _rng = rng.Split();
    }

    /// <inheritdoc />
    public void Reseed(ulong seed) => _rng.Reseed(seed);

    /// <summary>Same shape out as in.</summary>
    public Tensor Forward(Tensor input) => input.Dropout(P, _rng, Training);
}
