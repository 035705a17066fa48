using TinyLM.Tensors;

namespace TinyLM.Training;

/// <summary>A copy of every parameter at the best score so far (higher is better), for early stopping.</summary>
internal sealed class BestWeights(Tensor[] parameters)
{
    private float[][]? _copies;

    public double Score { get; private set; } = double.NegativeInfinity;
    public bool HasWeights => _copies is not null;

    public void Capture(double score)
    {
        Score = score;
        _copies ??= Array.ConvertAll(parameters, p => new float[p.Length]);
        for (int i = 0; i < parameters.Length; i++) parameters[i].AsSpan().CopyTo(_copies[i]);
    }

    public void Restore()
    {
        if (_copies is null) return;
        for (int i = 0; i < parameters.Length; i++) _copies[i].CopyTo(parameters[i].AsSpan());
    }
}
