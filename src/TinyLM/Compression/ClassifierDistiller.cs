using System.Diagnostics;
using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Compression;

/// <summary>
/// Knowledge distillation of a text classifier: a (large) teacher's logits on the training texts are computed
/// once and cached, then a (small) student that shares the teacher's tokenizer and label set is trained by the
/// ordinary <see cref="ClassifierTrainer"/> with the <see cref="DistillationLoss"/> in place of cross-entropy.
/// Unlabeled texts, when given, add teacher-only targets.
/// <code>
/// var student = ClassifierDistiller.CreateStudent(teacher, new TextClassifierConfig { Encoder = EncoderKind.Bag, EmbedDim = 8, … });
/// ClassifierDistiller.Distill(teacher, student, train, unlabeled: null, new DistillOptions { Temperature = 4, Alpha = 0.7f });
/// </code>
/// </summary>
public static class ClassifierDistiller
{
    /// <summary>
    /// A fresh student with <paramref name="config"/>'s architecture and the teacher's tokenizer and labels.
    /// The config's vocabulary cap and label mode must match the teacher's. With <paramref name="vocabulary"/> (a word
    /// tokenizer's teacher only) the student keeps only the teacher's first N ids (padding, OOV, then its most frequent
    /// words, in the teacher's ids); every other word reads as the OOV token, so the student's embedding table has N rows.
    /// </summary>
    public static TextClassifier CreateStudent(TextClassifier teacher, TextClassifierConfig config, int? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(config);
        if (config.VocabSize != teacher.Config.VocabSize)
            throw new ArgumentException($"distill: the student's vocabulary size {config.VocabSize} differs from the teacher's {teacher.Config.VocabSize}; " +
                                        "the student reuses the teacher's tokenizer, so leave the vocabulary unset or equal.");
        var tokenizer = teacher.Tokenizer;
        if (vocabulary is int keep)
        {
            if (teacher.Words is not { } words)
                throw new ArgumentException($"distill: a smaller student vocabulary needs a word tokenizer; the teacher's is {teacher.Tokenizer.Kind}.");
            int first = words.OovId is null ? 1 : 2;
            if (keep <= first || keep > words.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(vocabulary), keep,
                    $"distill: the student's vocabulary must be in [{first + 1}, {words.VocabSize}] (the teacher's has {words.VocabSize} ids), got {keep}.");
            if (config.WordBigrams)
                throw new ArgumentException("distill: a student with word bigrams needs the teacher's whole vocabulary (its bigrams follow the words).");
            if (keep < words.VocabSize) tokenizer = words.WithWords(Enumerable.Range(first, keep - first).Select(words.IdToWord));
        }
        var student = new TextClassifier(config with { MultiLabel = teacher.Config.MultiLabel }, tokenizer, teacher.Labels);
        CheckCompatible(teacher, student);
        return student;
    }

    /// <summary>Throws unless teacher and student share label set, vocabulary and preprocessing, and are single-label.</summary>
    public static void CheckCompatible(TextClassifier teacher, TextClassifier student)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(student);
        if (teacher.Config.MultiLabel || student.Config.MultiLabel)
            throw new ArgumentException("distill: multi-label classifiers are not supported (the soft targets are one softmax per text).");
        var tl = teacher.Labels.Labels;
        var sl = student.Labels.Labels;
        if (!tl.SequenceEqual(sl, StringComparer.Ordinal))
            throw new ArgumentException($"distill: the label sets differ: teacher has {tl.Count} ({Preview(tl)}), student has {sl.Count} ({Preview(sl)}).");
        if (teacher.Words is not { } tt || student.Words is not { } st)
        {
            if (teacher.Tokenizer.ToJson() != student.Tokenizer.ToJson())
                throw new ArgumentException($"distill: the tokenizers differ ({teacher.Tokenizer.Kind}, {teacher.Tokenizer.VocabSize} ids vs {student.Tokenizer.Kind}, {student.Tokenizer.VocabSize}).");
            return;
        }
        // The student's words are the teacher's first ids (all of them, or a smaller vocabulary's), with the same ids.
        if (st.VocabSize > tt.VocabSize)
            throw new ArgumentException($"distill: the vocabularies differ: teacher has {tt.VocabSize} words, student has {st.VocabSize}.");
        if (tt.OovToken != st.OovToken || tt.Lower != st.Lower || tt.Filters != st.Filters)
            throw new ArgumentException("distill: the tokenizers differ (OOV token, lower-casing or filter characters).");
        for (int id = st.OovId is null ? 1 : 2; id < st.VocabSize; id++)
        {
            string word = st.IdToWord(id);
            if (!tt.WordIndex.TryGetValue(word, out int other) || other != id)
                throw new ArgumentException($"distill: the vocabularies differ: student word \"{word}\" has id {id}, teacher " +
                                            (tt.WordIndex.TryGetValue(word, out int t) ? $"id {t}." : "does not have it."));
        }
        if (student.Config.WordBigrams && st.VocabSize != tt.VocabSize)
            throw new ArgumentException("distill: a student with word bigrams needs the teacher's whole vocabulary.");
    }

    /// <summary>The teacher's logits (N·C, row per text) in inference mode, computed in batches.</summary>
    public static float[] TeacherLogits(TextClassifier teacher, IReadOnlyList<string> texts, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(texts);
        int c = teacher.Labels.Count;
        var result = new float[texts.Count * c];
        var ids = teacher.Inputs.EncodeAll(texts);
        bool wasTraining = teacher.Training;
        teacher.Eval();
        try
        {
            using var noGrad = Tensor.NoGrad();
            foreach (var indices in Batching.Sequential(texts.Count, batchSize))
            {
                using var scope = new TensorScope();
                var batch = Batching.Pad(ids, indices);
                var logits = teacher.Mixture.Logits(batch).ToArray(); // (B, C), what the teacher predicts from
                for (int i = 0; i < indices.Length; i++) logits.AsSpan(i * c, c).CopyTo(result.AsSpan(indices[i] * c, c));
            }
        }
        finally
        {
            teacher.Train(wasTraining);
        }
        return result;
    }

    /// <summary>
    /// Trains <paramref name="student"/> on <paramref name="train"/> (hard labels and teacher targets) plus
    /// <paramref name="unlabeled"/> texts (teacher targets only). The teacher runs once over all texts before training.
    /// </summary>
    public static DistillResult Distill(TextClassifier teacher, TextClassifier student, TextDataset train, IReadOnlyList<string>? unlabeled,
        DistillOptions options, IProgress<TrainProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CheckCompatible(teacher, student);
        unlabeled ??= [];
        if (train.Count == 0 && unlabeled.Count == 0) throw new ArgumentException($"distill: {train.Source} holds no training texts.");

        var hard = ClassifierEvaluation.TrueLabels(teacher.Labels, train); // unknown labels fail before the teacher runs
        var clock = Stopwatch.StartNew();
        int c = teacher.Labels.Count;
        var teacherLogits = TeacherLogits(teacher, [.. train.Texts, .. unlabeled]);
        var soft = DistillationLoss.SoftTargets(teacherLogits, c, options.Temperature);
        double teacherSeconds = clock.Elapsed.TotalSeconds;

        var labels = new int[train.Count + unlabeled.Count];
        hard.CopyTo(labels, 0);
        Array.Fill(labels, DistillationLoss.Unlabeled, train.Count, unlabeled.Count);
        // Unlabeled texts carry the teacher's top label for the trainer's bookkeeping (its running accuracy then
        // reads as agreement with the teacher); the loss ignores it.
        var examples = new List<TextExample>(labels.Length);
        examples.AddRange(train.Examples);
        for (int i = 0; i < unlabeled.Count; i++)
        {
            int top = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(teacherLogits.AsSpan((train.Count + i) * c, c));
            examples.Add(new TextExample(unlabeled[i], teacher.Labels[top], i + 1));
        }
        var all = new TextDataset(train.Source, examples);

        var training = options.Training;
        if (training.Classifier.WarmStartEpochs > 0 && student.Config.Encoder != EncoderKind.Bag)
        {
            // Warm-start on the labelled texts only, exactly as a plain training run would.
            if (train.Count > 0) EmbeddingWarmStart.Apply(student, train, training.Classifier.WarmStartEpochs, training.Seed, training.Classifier.WarmStartLearningRate);
            training = training with { Classifier = training.Classifier with { WarmStartEpochs = 0 } };
        }

        var trainer = new ClassifierTrainer(student, training)
        {
            Progress = progress,
            TrainingLoss = (logits, indices) =>
            {
                var p = new float[indices.Length * c];
                var y = new int[indices.Length];
                for (int i = 0; i < indices.Length; i++)
                {
                    soft.AsSpan(indices[i] * c, c).CopyTo(p.AsSpan(i * c, c));
                    y[i] = labels[indices[i]];
                }
                return DistillationLoss.Compute(logits, p, y, options.Temperature, options.Alpha);
            },
        };
        var result = trainer.Fit(all, validation: null, cancel);
        return new DistillResult(result, train.Count, unlabeled.Count, teacherSeconds);
    }

    private static string Preview(IReadOnlyList<string> labels) =>
        string.Join(", ", labels.Take(10)) + (labels.Count > 10 ? ", …" : "");
}
