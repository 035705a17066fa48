using TinyLM.Models;
using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Training;

/// <summary>
/// Adam whose update of a classifier's embedding table touches only the rows the current batch looked up
/// (lazy Adam): the moments of other rows are left as they are and those rows do not move. Everything else
/// (the other parameters, the bias correction by the global step) is PyTorch's Adam. It also clips and zeroes
/// the embedding gradient row by row, so a step costs O(rows looked up), not O(table).
/// </summary>
internal sealed class ClassifierSparseAdam : Adam
{
    private readonly Tensor _table;
    private readonly int _tableIndex;
    private readonly int _dim;
    private int[] _rows = [];

    public ClassifierSparseAdam(TextClassifier model, TrainOptions options)
        : base(model.NamedParameters(), options.LearningRate, weightDecay: options.WeightDecay)
    {
        _table = model.Embedding.Weight;
        _dim = model.Embedding.EmbeddingDim;
        _tableIndex = -1;
        for (int i = 0; i < Parameters.Count; i++)
            if (ReferenceEquals(Parameters[i], _table)) _tableIndex = i;
        if (_tableIndex < 0) throw new ArgumentException("ClassifierSparseAdam: the model's embedding table is not among its parameters.");
    }

    /// <summary>Sets the rows the next step updates: the distinct non-padding ids of <paramref name="batch"/>, ascending.</summary>
    public void SetRows(PaddedBatch batch, int paddingIndex)
    {
        var seen = new HashSet<int>();
        for (int b = 0; b < batch.B; b++)
            for (int t = 0; t < batch.Lengths[b]; t++)
            {
                int id = batch.Ids[b * batch.T + t];
                if (id != paddingIndex) seen.Add(id);
            }
        _rows = [.. seen];
        Array.Sort(_rows);
    }

    /// <summary>Clips the global gradient norm like <see cref="GradClip.ClipGlobalNorm"/>, reading only the touched rows of the table.</summary>
    public override float ClipGradients(float maxNorm)
    {
        double total = 0;
        for (int i = 0; i < Parameters.Count; i++)
        {
            var g = Parameters[i].Grad;
            if (g is null) continue;
            if (i == _tableIndex)
                foreach (int r in _rows) total += SumOfSquares(g.AsSpan().Slice(r * _dim, _dim), ParameterNames[i]);
            else total += SumOfSquares(g.AsSpan(), ParameterNames[i]);
        }
        double norm = Math.Sqrt(total);
        double coef = maxNorm / (norm + 1e-6);
        if (coef >= 1.0) return (float)norm;
        for (int i = 0; i < Parameters.Count; i++)
        {
            var g = Parameters[i].Grad;
            if (g is null) continue;
            if (i == _tableIndex)
                foreach (int r in _rows) Scale(g.AsSpan().Slice(r * _dim, _dim), (float)coef);
            else Scale(g.AsSpan(), (float)coef);
        }
        return (float)norm;
    }

    /// <summary>Zeroes every gradient, the table's only in the touched rows (the others are already zero).</summary>
    public override void ZeroGrad()
    {
        for (int i = 0; i < Parameters.Count; i++)
        {
            if (i != _tableIndex) { Parameters[i].ZeroGrad(); continue; }
            var g = Parameters[i].Grad;
            if (g is null) continue;
            foreach (int r in _rows) g.AsSpan().Slice(r * _dim, _dim).Clear();
        }
    }

    protected override void Update(int index, Span<float> parameter, ReadOnlySpan<float> gradient, bool decay)
    {
        if (index != _tableIndex)
        {
            base.Update(index, parameter, gradient, decay);
            return;
        }
        float lr = LearningRate, wd = decay ? WeightDecay : 0f;
        double t = StepCount;
        float stepSize = (float)(lr / (1.0 - Math.Pow(Beta1, t)));
        float invSqrtBc2 = (float)(1.0 / Math.Sqrt(1.0 - Math.Pow(Beta2, t)));
        float b1 = Beta1, b2 = Beta2, c1 = 1f - Beta1, c2 = 1f - Beta2;
        var m = Buffer(0, index);
        var v = Buffer(1, index);
        foreach (int r in _rows)
            for (int j = r * _dim, end = j + _dim; j < end; j++)
            {
                float pj = parameter[j];
                float gj = gradient[j] + wd * pj;
                float mj = b1 * m[j] + c1 * gj;
                float vj = b2 * v[j] + c2 * (gj * gj);
                m[j] = mj;
                v[j] = vj;
                parameter[j] = pj - stepSize * (mj / (MathF.Sqrt(vj) * invSqrtBc2 + Eps));
            }
    }

    private static double SumOfSquares(ReadOnlySpan<float> s, string name)
    {
        double sum = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (!float.IsFinite(s[i]))
                throw new ArithmeticException($"ClassifierSparseAdam: gradient of '{name}' is {s[i]} at element {i}.");
            sum += (double)s[i] * s[i];
        }
        return sum;
    }

    private static void Scale(Span<float> s, float coef)
    {
        for (int i = 0; i < s.Length; i++) s[i] *= coef;
    }
}
