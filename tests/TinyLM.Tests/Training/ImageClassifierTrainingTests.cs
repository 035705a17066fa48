using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Tests.Text;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Tests.Training;

/// <summary>The small CNN image classifier: shapes, training through the one Trainer loop, and the .tlm file.</summary>
public sealed class ImageClassifierTrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-image-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private (ImageDataset Train, ImageDataset Test) ToySets(int size = 12, int classes = 4)
    {
        IdxTestFiles.WriteToySet(_dir, "train", 160, size, classes, seed: 1, gzip: false);
        IdxTestFiles.WriteToySet(_dir, "t10k", 40, size, classes, seed: 2, gzip: true);
        return (ImageDataset.ReadIdx(Path.Combine(_dir, "train-images-idx3-ubyte"), Path.Combine(_dir, "train-labels-idx1-ubyte")),
                ImageDataset.ReadIdx(Path.Combine(_dir, "t10k-images-idx3-ubyte.gz"), Path.Combine(_dir, "t10k-labels-idx1-ubyte.gz")));
    }

    private static ImageClassifier Model(ImageDataset train, int classes = 4)
    {
        var (mean, std) = ImageClassifier.PixelStatistics(train);
        var config = new ImageClassifierConfig { Height = train.Height, Width = train.Width, Classes = classes, Width1 = 4, Width2 = 8, PixelMean = mean, PixelStd = std };
        return new ImageClassifier(config, [.. Enumerable.Range(0, classes).Select(i => i.ToString())]);
    }

    [Fact]
    public void Cnn_small_has_the_documented_shape_and_size()
    {
        var model = new ImageClassifier(new ImageClassifierConfig(), [.. Enumerable.Range(0, 10).Select(i => i.ToString())]);
        Assert.Equal(144 + 32 + 16 * 9 * 32 + 64 + 32 * 7 * 7 * 10 + 10, model.ParameterCount());
        Assert.Equal(["conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias", "fc.weight", "fc.bias"],
            model.NamedParameters().Select(p => p.Key));
        Assert.Equal(["bn1.running_mean", "bn1.running_var", "bn2.running_mean", "bn2.running_var"], model.NamedBuffers().Select(p => p.Key));
        Assert.Equal([3, 10], model.Forward(Tensor.Zeros(3, 1, 28, 28)).Shape);
        Assert.Contains("(N, 1, 28, 28)", Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros(1, 1, 28, 27))).Message);
        Assert.Contains("3 labels for 10 classes", Assert.Throws<ArgumentException>(() => new ImageClassifier(new ImageClassifierConfig(), ["a", "b", "c"])).Message);
    }

    [Fact]
    public void Learns_a_toy_set_through_the_one_trainer_and_round_trips_through_a_model_file()
    {
        var (train, test) = ToySets();
        var model = Model(train);
        double before = model.Accuracy(test);
        var reports = new List<TrainProgress>();
        var result = new ImageClassifierTrainer(model, new TrainOptions { Epochs = 3, BatchSize = 16, LearningRate = 3e-3f, Seed = 5 })
        {
            Progress = new SyncProgress<TrainProgress>(reports.Add),
        }.Fit(train, test);
        Assert.Equal(3, result.EpochsRun);
        Assert.Equal(30, result.Steps);
        Assert.True(result.EvaluationAccuracy >= 0.95, $"test accuracy {result.EvaluationAccuracy} (before training {before})");
        Assert.Equal(result.EvaluationAccuracy, model.Accuracy(test));
        Assert.Equal(3, reports.Count(r => r.Milestone && r.ValidationAccuracy is not null));
        // The running statistics moved away from their initial (0, 1).
        Assert.NotEqual(0f, model.Bn1.RunningMean.ToArray()[0]);

        string path = Path.Combine(_dir, "m.tlm");
        model.Save(path);
        var loaded = ImageClassifierFile.Load(path);
        Assert.Equal(model.Config, loaded.Config);
        Assert.Equal(model.Bn2.RunningVar.ToArray(), loaded.Bn2.RunningVar.ToArray());
        Assert.Equal(model.Predict(test), loaded.Predict(test));
        Assert.Equal("image-classifier", ModelFile.Load(path).Kind.ToFileName());
    }

    [Fact]
    public void Same_seed_same_weights_and_a_budget_stops_early()
    {
        var (train, _) = ToySets();
        var options = new TrainOptions { Epochs = 1, BatchSize = 32, Seed = 3 };
        var a = Model(train);
        var b = Model(train);
        new ImageClassifierTrainer(a, options).Fit(train);
        new ImageClassifierTrainer(b, options).Fit(train);
        Assert.Equal(a.Fc.Weight.ToArray(), b.Fc.Weight.ToArray());
        Assert.Equal(a.Bn1.RunningMean.ToArray(), b.Bn1.RunningMean.ToArray());
        var c = Model(train);
        var stopped = new ImageClassifierTrainer(c, options with { Epochs = 50 }) { BudgetSeconds = 1e-9 }.Fit(train);
        Assert.True(stopped.BudgetReached);
        Assert.True(stopped.Steps < 5);
    }

    [Fact]
    public void Mismatched_data_and_files_give_clear_errors()
    {
        var (train, _) = ToySets();
        var model = Model(train);
        IdxTestFiles.WriteToySet(_dir, "small", 8, 8, 4, seed: 3, gzip: false);
        var small = ImageDataset.ReadIdx(Path.Combine(_dir, "small-images-idx3-ubyte"), Path.Combine(_dir, "small-labels-idx1-ubyte"));
        var ex = Assert.Throws<ArgumentException>(() => new ImageClassifierTrainer(model, new TrainOptions()).Fit(small));
        Assert.Contains("1×8×8, the model takes 1×12×12", ex.Message);

        // A text-model kind in the file is refused with the file's name.
        string path = Path.Combine(_dir, "text.tlm");
        ModelFile.Save(path, new ModelFileContents { Kind = ModelKind.Seq2Seq });
        var bad = Assert.Throws<ModelFormatException>(() => ImageClassifierFile.Load(path));
        Assert.Contains(path, bad.Message);
        Assert.Contains("image classifier", bad.Message);
    }
}

internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
