using TinyLM.Compression;
using TinyLM.Tensors;
using TinyLM.Tests.Tensors;

namespace TinyLM.Tests.Compression;

public class DistillationLossTests
{
    private static float[] TeacherProbabilities(Rng rng, int rows, int classes, float temperature)
    {
        var logits = new float[rows * classes];
        rng.Normal(logits, 0f, 2f);
        return DistillationLoss.SoftTargets(logits, classes, temperature);
    }

    // Float64 reference of α·T²·KL(p ‖ softmax(z/T)) + (1 − α)·CE(softmax(z), y), averaged over rows.
    private static double Reference(float[] z, float[] p, int[] y, int classes, double t, double alpha)
    {
        int rows = y.Length;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            double maxT = double.NegativeInfinity, max1 = double.NegativeInfinity;
            for (int j = 0; j < classes; j++)
            {
                maxT = Math.Max(maxT, z[r * classes + j] / t);
                max1 = Math.Max(max1, z[r * classes + j]);
            }
            double sumT = 0, sum1 = 0;
            for (int j = 0; j < classes; j++)
            {
                sumT += Math.Exp(z[r * classes + j] / t - maxT);
                sum1 += Math.Exp(z[r * classes + j] - max1);
            }
            double kl = 0;
            for (int j = 0; j < classes; j++)
            {
                double pj = p[r * classes + j];
                double logQ = z[r * classes + j] / t - maxT - Math.Log(sumT);
                if (pj > 0) kl += pj * (Math.Log(pj) - logQ);
            }
            total += alpha * t * t * kl;
            if (y[r] >= 0) total -= (1 - alpha) * (z[r * classes + y[r]] - max1 - Math.Log(sum1));
        }
        return total / rows;
    }

    [Theory]
    [InlineData(1f, 0.5f)]
    [InlineData(2f, 0.7f)]
    [InlineData(4f, 1f)]
    [InlineData(0.5f, 0f)]
    public void Gradient_matches_float64_finite_differences(float temperature, float alpha)
    {
        var rng = new Rng(21);
        const int rows = 5, classes = 7;
        var p = TeacherProbabilities(rng, rows, classes, temperature);
        int[] y = [3, DistillationLoss.Unlabeled, 0, 6, DistillationLoss.Unlabeled];
        GradCheck.Check(x => DistillationLoss.Compute(x[0], p, y, temperature, alpha), GradCheck.Input(rng, [rows, classes], scale: 1.5f));
    }

    [Fact]
    public void Value_matches_the_float64_reference_and_is_zero_when_the_student_copies_the_teacher()
    {
        var rng = new Rng(22);
        const int rows = 6, classes = 5;
        var z = new float[rows * classes];
        rng.Normal(z, 0f, 2f);
        var p = TeacherProbabilities(rng, rows, classes, 3f);
        int[] y = [0, 1, DistillationLoss.Unlabeled, 4, 2, 2];
        float loss = DistillationLoss.Compute(Tensor.FromArray(z, rows, classes), p, y, 3f, 0.6f).Item();
        Assert.Equal(Reference(z, p, y, classes, 3, 0.6), loss, 5);

        // Student logits equal to the teacher's: KL = 0, so with α = 1 the loss vanishes.
        var teacherLogits = new float[rows * classes];
        rng.Normal(teacherLogits, 0f, 1f);
        var soft = DistillationLoss.SoftTargets(teacherLogits, classes, 2f);
        float same = DistillationLoss.Compute(Tensor.FromArray(teacherLogits, rows, classes), soft, y, 2f, 1f).Item();
        Assert.True(Math.Abs(same) < 1e-6, $"loss {same}");
    }

    [Fact]
    public void Alpha_zero_is_plain_cross_entropy_on_labelled_rows()
    {
        var rng = new Rng(23);
        var z = Tensor.Rand(rng, -2f, 2f, 4, 3);
        var p = TeacherProbabilities(rng, 4, 3, 1f);
        float mixed = DistillationLoss.Compute(z, p, [2, 0, 1, 1], 5f, 0f).Item();
        float ce = Tensor.CrossEntropy(z, new IntTensor([2, 0, 1, 1])).Item();
        Assert.Equal(ce, mixed, 5);
    }

    [Theory]
    [InlineData(0f, 0.5f)]
    [InlineData(-1f, 0.5f)]
    [InlineData(float.NaN, 0.5f)]
    [InlineData(2f, -0.1f)]
    [InlineData(2f, 1.5f)]
    public void Bad_temperature_or_alpha_is_rejected(float temperature, float alpha)
    {
        var z = Tensor.Zeros(2, 3);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => DistillationLoss.Compute(z, new float[6], [0, 1], temperature, alpha));
        Assert.Contains(float.IsNaN(temperature) || temperature <= 0 ? "temperature" : "alpha", e.Message);
    }

    [Fact]
    public void Mismatched_shapes_and_labels_are_rejected()
    {
        var z = Tensor.Zeros(2, 3);
        Assert.Throws<ArgumentException>(() => DistillationLoss.Compute(z, new float[5], [0, 1], 2f, 0.5f));
        Assert.Throws<ArgumentException>(() => DistillationLoss.Compute(z, new float[6], [0], 2f, 0.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => DistillationLoss.Compute(z, new float[6], [0, 3], 2f, 0.5f));
    }
}
