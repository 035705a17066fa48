using TinyLM.Models;
using TinyLM.Nn;
using TinyLM.Tests.Models;
using TinyLM.Training;

namespace TinyLM.Tests.Training;

/// <summary>One options record for every task: each task's trainer honours the shared fields, and the presets keep each recipe.</summary>
public class TrainOptionsTests
{
    [Fact]
    public void Each_preset_builds_its_tasks_optimizer()
    {
        var model = new Linear(4, 3, new TinyLM.Tensors.Rng(1));
        var classifier = Assert.IsType<Adam>(Optimizers.Create(TrainOptions.ForClassifier, model));
        Assert.Equal((0.999f, 1e-8f), (classifier.Beta2, classifier.Eps));
        var lm = Assert.IsType<AdamW>(Optimizers.Create(TrainOptions.ForCausalLM, model));
        Assert.Equal((0.99f, 0.1f), (lm.Beta2, lm.WeightDecay));
        var translation = Assert.IsType<AdamW>(Optimizers.Create(TrainOptions.ForSeq2Seq, model));
        Assert.Equal((0.98f, 1e-9f, 1e-4f), (translation.Beta2, translation.Eps, translation.WeightDecay));
        Assert.IsType<Sgd>(Optimizers.Create(TrainOptions.ForSeq2Seq with { Optimizer = OptimizerKind.Sgd }, model));
    }

    [Fact]
    public void Warmup_steps_win_over_the_fraction_and_the_decay_ends_at_the_minimum()
    {
        var options = new TrainOptions { Schedule = ScheduleKind.Linear, WarmupSteps = 10, WarmupFraction = 0.5f, MinLearningRate = 1e-4f };
        var schedule = Optimizers.CreateSchedule(options, 100);
        Assert.Equal(1e-3f, schedule.LearningRate(9), 7);        // the peak at step 9: ten warmup steps, not fifty
        Assert.Equal(1e-4f, schedule.LearningRate(100), 7);
        Assert.True(schedule.LearningRate(50) is < 1e-3f and > 1e-4f);
        // Cosine without a minimum ends at a tenth of the peak; linear without one at zero.
        Assert.Equal(1e-4f, Optimizers.CreateSchedule(new TrainOptions { Schedule = ScheduleKind.Cosine }, 10).LearningRate(10), 7);
        Assert.Equal(0f, Optimizers.CreateSchedule(new TrainOptions { Schedule = ScheduleKind.Linear }, 10).LearningRate(10));
    }

    [Fact]
    public void A_time_budget_decays_by_the_clock_after_the_warmup()
    {
        var options = new TrainOptions { Schedule = ScheduleKind.Linear, WarmupSteps = 2, Minutes = 60 };
        var schedule = Optimizers.CreateSchedule(options, 1_000_000);
        Assert.Equal(5e-4f, schedule.LearningRate(0), 7);
        // A minute's budget has barely begun: past the warmup the rate is still at the peak, whatever the step count says.
        Assert.True(schedule.LearningRate(900_000) > 0.99e-3f, $"{schedule.LearningRate(900_000)}");
    }

    [Fact]
    public void A_spent_time_budget_stops_the_classifier_and_the_language_model_alike()
    {
        var train = ToyTopics.Make(40, seed: 3);
        var config = new TextClassifierConfig { Encoder = EncoderKind.Bag, VocabSize = 60, MaxLength = 12, EmbedDim = 8, Pooling = PoolingKind.Mean };
        var classifier = TextClassifier.Create(config, train.Examples);
        var result = new ClassifierTrainer(classifier, new TrainOptions { Epochs = 3, BatchSize = 8, Minutes = 1e-9 }).Fit(train);
        Assert.True(result.BudgetReached);
        Assert.Equal(0, result.Steps);

        var (tokenizer, ids) = CausalLMData.Tokenize(string.Concat(Enumerable.Repeat("the cat sat on the mat. ", 60)), "char");
        var lm = new CausalLM(CausalLMTests.Gpt with { VocabSize = tokenizer.VocabSize, ContextLength = 8 });
        var lmResult = new CausalLMTrainer(lm, TrainOptions.ForCausalLM with { Steps = 50, BatchSize = 2, Minutes = 1e-9, CausalLM = new() { EvalBatches = 1 } })
            .Fit(new CausalLMData(ids, 8));
        Assert.True(lmResult.BudgetReached);
        Assert.Equal(0, lmResult.Steps);
    }

    [Fact]
    public void A_language_model_needs_a_step_count_and_errors_name_the_setting()
    {
        var (tokenizer, ids) = CausalLMData.Tokenize(string.Concat(Enumerable.Repeat("abc ", 100)), "char");
        var lm = new CausalLM(CausalLMTests.Gpt with { VocabSize = tokenizer.VocabSize, ContextLength = 8 });
        var error = Assert.Throws<ArgumentException>(() => new CausalLMTrainer(lm, new TrainOptions()).Fit(new CausalLMData(ids, 8)));
        Assert.Contains("steps must be ≥ 1", error.Message);
        Assert.Contains("batch tokens", Assert.Throws<ArgumentException>(() => (TrainOptions.ForSeq2Seq with { Seq2Seq = new() { BatchTokens = 0 } }).Validate()).Message);
        Assert.Contains("min learning rate", Assert.Throws<ArgumentException>(() => (new TrainOptions { MinLearningRate = 1f }).Validate()).Message);
    }
}
