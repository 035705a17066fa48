using TinyLM.Compression;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Tests.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Tests.Compression;

public class ClassifierDistillerTests
{
    private static readonly TextDataset Train = ToyTopics.Make(150, seed: 1);
    private static readonly TextDataset Test = ToyTopics.Make(60, seed: 2);

    private static readonly TextClassifierConfig TeacherConfig = new()
    {
        Encoder = EncoderKind.Bag, VocabSize = 100, EmbedDim = 32, MaxLength = 16, Pooling = PoolingKind.Mean, Seed = 3,
    };

    private static readonly TextClassifierConfig StudentConfig = TeacherConfig with { EmbedDim = 4, Seed = 5 };

    private static readonly TrainOptions Quick = new() { Epochs = 8, BatchSize = 16, LearningRate = 0.02f, Seed = 1 };

    private static TextClassifier Teacher()
    {
        var teacher = TextClassifier.Create(TeacherConfig, Train.Examples);
        new ClassifierTrainer(teacher, Quick).Fit(Train);
        return teacher;
    }

    /// <summary>Counts the teacher's forward batches: its output layer's weight, as a format that multiplies in float32.</summary>
    private sealed class CountingMatrix(Tensor weight) : IWeightMatrix
    {
        private readonly FloatMatrix _inner = new(weight.ToArray(), weight.Dim(0), weight.Dim(1));
        public int Batches { get; private set; }
        public int Rows => _inner.Rows;
        public int Cols => _inner.Cols;
        public int Texts { get; private set; }

        public void Multiply(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y)
        {
            Batches++;
            Texts += m;
            _inner.Multiply(m, x, bias, y);
        }
    }

    [Fact]
    public void Teacher_runs_once_over_the_data_however_many_epochs()
    {
        var teacher = Teacher();
        var counter = new CountingMatrix(teacher.Output.Weight);
        teacher.SetWeightFormat("output.weight", counter);
        var student = ClassifierDistiller.CreateStudent(teacher, StudentConfig);
        string[] unlabeled = ["oil barrel said", "wheat harvest tonnes", "merger stake bid"];
        var result = ClassifierDistiller.Distill(teacher, student, Train, unlabeled, new DistillOptions { Training = Quick with { Epochs = 3 } });
        Assert.Equal(Train.Count + unlabeled.Length, counter.Texts);
        Assert.Equal((Train.Count + unlabeled.Length + 63) / 64, counter.Batches);
        Assert.Equal(3, result.Training.EpochsRun);
        Assert.Equal((Train.Count, unlabeled.Length), (result.LabeledExamples, result.UnlabeledExamples));
    }

    [Fact]
    public void With_alpha_one_the_student_learns_from_the_teacher_alone()
    {
        var teacher = Teacher();
        Assert.True(teacher.Evaluate(Test).Accuracy > 0.95);
        // Every hard label is wrong (all "acq"): with α = 1 only the teacher's targets count.
        var wrong = new TextDataset("wrong.tsv", [.. Train.Examples.Select(e => e with { Labels = ["acq"] })]);
        var student = ClassifierDistiller.CreateStudent(teacher, StudentConfig);
        ClassifierDistiller.Distill(teacher, student, wrong, null, new DistillOptions { Temperature = 2, Alpha = 1, Training = Quick });
        Assert.True(student.Evaluate(Test).Accuracy > 0.9, $"student accuracy {student.Evaluate(Test).Accuracy}");

        // With α = 0 the same wrong labels are all it sees.
        var fooled = ClassifierDistiller.CreateStudent(teacher, StudentConfig);
        ClassifierDistiller.Distill(teacher, fooled, wrong, null, new DistillOptions { Temperature = 2, Alpha = 0, Training = Quick });
        Assert.True(fooled.Evaluate(Test).Accuracy < 0.5);
    }

    [Fact]
    public void Unlabeled_texts_alone_transfer_the_teacher()
    {
        var teacher = Teacher();
        // Three labelled texts, far too few to learn from; the teacher labels the rest.
        var few = new TextDataset("few.tsv", [.. Train.Examples.Take(3)]);
        var unlabeled = ToyTopics.Make(300, seed: 9).Texts.ToArray();
        var student = ClassifierDistiller.CreateStudent(teacher, StudentConfig);
        ClassifierDistiller.Distill(teacher, student, few, unlabeled, new DistillOptions { Alpha = 0.9f, Training = Quick });
        Assert.True(student.Evaluate(Test).Accuracy > 0.9, $"student accuracy {student.Evaluate(Test).Accuracy}");
    }

    [Fact]
    public void Same_seed_gives_the_same_student_bit_for_bit()
    {
        var teacher = Teacher();
        float[] Run()
        {
            var student = ClassifierDistiller.CreateStudent(teacher, StudentConfig);
            ClassifierDistiller.Distill(teacher, student, Train, null, new DistillOptions { Training = Quick with { Epochs = 2 } });
            return [.. student.Parameters().SelectMany(p => p.ToArray())];
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Different_labels_or_vocabularies_are_rejected()
    {
        var teacher = TextClassifier.Create(TeacherConfig, Train.Examples);
        var otherLabels = new TextClassifier(StudentConfig, teacher.Tokenizer, LabelMap.FromLabels(["acq", "crude", "earn"]));
        var e = Assert.Throws<ArgumentException>(() => ClassifierDistiller.CheckCompatible(teacher, otherLabels));
        Assert.Contains("label sets differ", e.Message);

        var otherTexts = ToyTopics.Make(150, seed: 1).Examples.Select(x => x with { Text = "extra words here " + x.Text }).ToList();
        var otherVocab = TextClassifier.Create(StudentConfig, otherTexts);
        e = Assert.Throws<ArgumentException>(() => ClassifierDistiller.CheckCompatible(teacher, otherVocab));
        Assert.Contains("vocabularies differ", e.Message);

        e = Assert.Throws<ArgumentException>(() => ClassifierDistiller.CreateStudent(teacher, StudentConfig with { VocabSize = 50 }));
        Assert.Contains("vocabulary size 50", e.Message);

        // A student whose vocabulary is larger than the teacher's, or not its first ids, is not the teacher's.
        var words = teacher.Words!;
        var reordered = words.WithWords(Enumerable.Range(2, words.VocabSize - 2).Select(words.IdToWord).Reverse());
        e = Assert.Throws<ArgumentException>(() => ClassifierDistiller.CheckCompatible(teacher, new TextClassifier(StudentConfig, reordered, teacher.Labels)));
        Assert.Contains("vocabularies differ", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierDistiller.CreateStudent(teacher, StudentConfig, vocabulary: words.VocabSize + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierDistiller.CreateStudent(teacher, StudentConfig, vocabulary: 2));
    }

    [Fact]
    public void A_smaller_student_vocabulary_keeps_the_teachers_first_ids_and_still_learns()
    {
        var teacher = Teacher();
        var words = teacher.Words!;
        var student = ClassifierDistiller.CreateStudent(teacher, StudentConfig, vocabulary: 24);
        Assert.Equal(24, student.Tokenizer.VocabSize);
        Assert.Equal(24, student.Embedding.Weight.Dim(0));
        for (int id = 2; id < 24; id++) Assert.Equal(words.IdToWord(id), student.Words!.IdToWord(id));
        // A word beyond the first 24 ids (the 12 filler words come first; 10 of the 15 topic words are kept) reads as the OOV token (id 1) in the student, as itself in the teacher.
        string rare = words.IdToWord(words.VocabSize - 1);
        Assert.Equal([1], student.Tokenizer.Encode(rare));
        Assert.Equal([words.VocabSize - 1], teacher.Tokenizer.Encode(rare));
        ClassifierDistiller.Distill(teacher, student, Train, null, new DistillOptions { Training = Quick });
        Assert.True(student.Evaluate(Test).Accuracy > 0.8, $"student accuracy {student.Evaluate(Test).Accuracy}");
    }

    [Fact]
    public void Bad_options_and_empty_data_are_rejected()
    {
        var teacher = TextClassifier.Create(TeacherConfig, Train.Examples);
        var student = ClassifierDistiller.CreateStudent(teacher, StudentConfig);
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierDistiller.Distill(teacher, student, Train, null, new DistillOptions { Temperature = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierDistiller.Distill(teacher, student, Train, null, new DistillOptions { Alpha = 1.5f }));
        var empty = new TextDataset("empty.tsv", []);
        var e = Assert.Throws<ArgumentException>(() => ClassifierDistiller.Distill(teacher, student, empty, null, new DistillOptions()));
        Assert.Contains("empty.tsv", e.Message);
    }
}
