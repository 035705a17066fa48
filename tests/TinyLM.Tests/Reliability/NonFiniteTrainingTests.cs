using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Training;

namespace TinyLM.Tests.Reliability;

/// <summary>
/// Issue 16's numerical faults: a NaN or infinity in the loss or in a gradient stops training at that step, naming it
/// (and the parameter), before any weight changes; <see cref="TrainerSettings.SkipNonFinite"/> skips the batch instead.
/// </summary>
public sealed class NonFiniteTrainingTests
{
    // Batches are inputs x of the loss sum(sqrt(w ⊙ x)): where x is 0 the loss stays finite but the gradient
    // x / (2·sqrt(w·x)) = 0/0 is NaN; where x is NaN the loss is NaN.
    private sealed class SqrtTask(Linear model, float[][] batches) : ITrainingTask<float[]>
    {
        public string Name => "toy";
        public int Rounds => 1;
        public long TotalSteps => batches.Length;
        public int MicroBatches => 1;
        public IReadOnlyList<float[]> BeginRound(int round) => batches;
        public void BeginStep(float[] batch, long step) { }
        public Tensor Loss(float[] batch, int micro) => model.Weight.Mul(Tensor.FromArray(batch, 1, batch.Length)).Sqrt().Sum();
        public void Observe(float[] batch, int micro, float loss) { }
        public void EndStep(float[] batch, long steps, float learningRate, TrainerClock clock) { }
        public double? EndRound(int round, long steps, float learningRate, TrainerClock clock) => null;
    }

    private static (Linear Model, TrainerSettings Settings) Setup(bool skip, float clip = 0f)
    {
        var model = new Linear(3, 1, new Rng(1), bias: false);
        model.Weight.AsSpan().Fill(1f);
        return (model, new TrainerSettings(model, new Sgd(model, 0.01f), new ConstantLr(0.01f)) { SkipNonFinite = skip, ClipNorm = clip });
    }

    private static readonly float[] Good = [1f, 2f, 3f];

    [Theory]
    [InlineData(0f)]
    [InlineData(1f)] // clipping on: the check runs before the clip would spread the infinity
    public void A_non_finite_gradient_with_a_finite_loss_stops_at_its_step_naming_the_parameter(float clip)
    {
        var (model, settings) = Setup(skip: false, clip);
        float[] zeroInput = [0f, 2f, 3f]; // sqrt(0): loss finite, gradient 0/0
        var trainer = new Trainer<float[]>(new SqrtTask(model, [Good, Good, zeroInput, Good]), settings);
        var e = Assert.Throws<NonFiniteTrainingException>(() => trainer.Fit());
        Assert.Equal(3, e.Step);
        Assert.Contains("toy: gradient of 'weight' is NaN at element 0 at step 3 (round 1)", e.Message);
        Assert.All(model.Weight.ToArray(), w => Assert.True(float.IsFinite(w)));
    }

    [Fact]
    public void A_NaN_loss_stops_at_its_step_before_the_weights_change()
    {
        var (model, settings) = Setup(skip: false);
        var reference = Setup(skip: false);
        new Trainer<float[]>(new SqrtTask(reference.Model, [Good]), reference.Settings).Fit();
        float[] nan = [float.NaN, 1f, 1f];
        var e = Assert.Throws<NonFiniteTrainingException>(() => new Trainer<float[]>(new SqrtTask(model, [Good, nan, Good]), settings).Fit());
        Assert.Equal(2, e.Step);
        Assert.Contains("toy: the loss is NaN at step 2 (round 1)", e.Message);
        Assert.Equal(reference.Model.Weight.ToArray(), model.Weight.ToArray()); // exactly one good step's weights
    }

    [Fact]
    public void Skip_nonfinite_skips_the_bad_batches_and_trains_on_the_rest_as_if_they_were_absent()
    {
        var (model, settings) = Setup(skip: true);
        float[] nan = [float.NaN, 1f, 1f], zeroInput = [0f, 2f, 3f];
        var outcome = new Trainer<float[]>(new SqrtTask(model, [Good, nan, Good, zeroInput, Good]), settings).Fit();
        Assert.Equal(2, outcome.SkippedNonFinite);
        Assert.Equal(5, outcome.Steps);

        // Constant rate, plain SGD: skipping a batch is the same as never having had it.
        var clean = Setup(skip: false);
        new Trainer<float[]>(new SqrtTask(clean.Model, [Good, Good, Good]), clean.Settings).Fit();
        Assert.Equal(clean.Model.Weight.ToArray(), model.Weight.ToArray());
    }
}
