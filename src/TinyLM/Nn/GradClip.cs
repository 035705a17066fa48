using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>Gradient clipping by the global L2 norm over all parameters (PyTorch's clip_grad_norm_).</summary>
public static class GradClip
{
    /// <summary>
    /// Scales every gradient by maxNorm/(norm + 1e-6) when the global norm exceeds <paramref name="maxNorm"/>, and
    /// returns the norm before clipping. Throws <see cref="ArithmeticException"/> naming the first parameter whose
    /// gradient holds a NaN or infinity (and the element), before anything is changed. Parameters without a
    /// gradient are skipped.
    /// </summary>
    public static float ClipGlobalNorm(IEnumerable<KeyValuePair<string, Tensor>> parameters, float maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0f)) throw new ArgumentOutOfRangeException(nameof(maxNorm), $"GradClip.ClipGlobalNorm: max norm {maxNorm} must be > 0.");
        double total = 0;
        foreach (var (name, p) in parameters)
        {
            var g = p.Grad;
            if (g is null) continue;
            var s = g.AsSpan();
            float sq = TensorPrimitives.SumOfSquares(s);
            if (!float.IsFinite(sq))
            {
                for (int i = 0; i < s.Length; i++)
                    if (!float.IsFinite(s[i]))
                        throw new ArithmeticException($"GradClip.ClipGlobalNorm: gradient of '{name}' ({string.Join("x", p.Shape)}) is {s[i]} at element {i}.");
                // Finite values whose squares overflow float: sum in double.
                double d = 0;
                for (int i = 0; i < s.Length; i++) d += (double)s[i] * s[i];
                total += d;
            }
            else total += sq;
        }
        double norm = Math.Sqrt(total);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1.0)
        {
            float c = (float)coef;
            foreach (var (_, p) in parameters)
            {
                var g = p.Grad;
                if (g is null) continue;
                var s = g.AsSpan();
                TensorPrimitives.Multiply(s, c, s);
            }
        }
        return (float)norm;
    }

    /// <summary>Clips a module's gradients; see <see cref="ClipGlobalNorm(IEnumerable{KeyValuePair{string, Tensor}}, float)"/>.</summary>
    public static float ClipGlobalNorm(Module module, float maxNorm)
    {
        ArgumentNullException.ThrowIfNull(module);
        return ClipGlobalNorm(module.NamedParameters(), maxNorm);
    }

    /// <summary>Clips unnamed parameters' gradients (messages use <see cref="Tensor.Name"/> or the index).</summary>
    public static float ClipGlobalNorm(IEnumerable<Tensor> parameters, float maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var named = new List<KeyValuePair<string, Tensor>>();
        int i = 0;
        foreach (var p in parameters)
        {
            named.Add(new(p.Name ?? $"p{i}", p));
            i++;
        }
        return ClipGlobalNorm(named, maxNorm);
    }
}
