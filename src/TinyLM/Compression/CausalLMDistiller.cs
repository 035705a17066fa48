using System.Diagnostics;
using TinyLM.Models;
using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Training;

namespace TinyLM.Compression;

/// <summary>Settings of a language-model distillation: the soft-target mix, the teacher cache and the student's training.</summary>
public sealed record CausalLMDistillOptions
{
    /// <summary>Softmax temperature T of teacher and student in the soft term (&gt; 0).</summary>
    public float Temperature { get; init; } = 2f;
    /// <summary>Weight α of the soft term; 1 − α goes to the hard next-token cross-entropy.</summary>
    public float Alpha { get; init; } = 0.5f;
    /// <summary>Teacher probabilities kept per position: 0 = all of them for vocabularies ≤ 256, else the top 32.</summary>
    public int TopK { get; init; }
    /// <summary>Windows per teacher forward pass while building the cache.</summary>
    public int TeacherBatch { get; init; } = 16;
    /// <summary>How the student is trained (steps, batch, learning rate, schedule, seed, evaluation).</summary>
    public TrainOptions Training { get; init; } = TrainOptions.ForCausalLM;

    /// <summary>Checks every field and says which one is wrong.</summary>
    public void Validate()
    {
        DistillationLoss.Validate(Temperature, Alpha);
        if (TopK < 0) throw new ArgumentException($"CausalLMDistillOptions: top-k must be ≥ 0 (0 = automatic), got {TopK}.");
        if (TeacherBatch < 1) throw new ArgumentException($"CausalLMDistillOptions: teacher batch must be ≥ 1, got {TeacherBatch}.");
        Training.Validate();
    }
}

/// <summary>What a language-model distillation (or its hard-label baseline) did.</summary>
public sealed record CausalLMDistillResult
{
    public int Steps { get; init; }
    /// <summary>Mean next-token cross-entropy over fixed validation batches at the end.</summary>
    public double ValidationLoss { get; init; }
    /// <summary>Mean next-token cross-entropy over fixed training windows at the end.</summary>
    public double TrainLoss { get; init; }
    /// <summary>Seconds spent building the teacher cache (0 for the baseline).</summary>
    public double TeacherSeconds { get; init; }
    /// <summary>Seconds of the optimisation steps (evaluations excluded).</summary>
    public double TrainSeconds { get; init; }
    /// <summary>Windows in the transfer set.</summary>
    public int Windows { get; init; }
    /// <summary>Teacher probabilities kept per position (0 for the baseline).</summary>
    public int TopK { get; init; }
    /// <summary>Bytes of the teacher cache.</summary>
    public long CacheBytes { get; init; }
}

/// <summary>
/// Knowledge distillation of a causal language model: the teacher's next-token distributions on the training
/// text are computed once (<see cref="CausalLMTransferSet"/>), then a smaller student sharing its tokenizer is trained on
/// random batches of those windows with <see cref="DistillationLoss"/>:
/// α·T²·KL(teacher_T ‖ student_T) + (1 − α)·CE(next token). The same trainer with α = 0 and no teacher is the
/// hard-label baseline, so both see the same windows in the same order. Batches of step s come from an RNG
/// seeded by (seed, s), and every kernel is deterministic, so a seed gives the same student at any thread count.
/// <code>
/// var student = CausalLMDistiller.CreateStudent(teacher, teacher.Model.Config with { Layers = 2, EmbedDim = 64, Heads = 4 });
/// var data = new CausalLMData(teacher.Tokenizer.Encode(text), student.Model.Config.ContextLength);
/// var set = CausalLMTransferSet.Build(teacher.Model, data.Train, student.Model.Config.ContextLength, temperature: 2);
/// CausalLMDistiller.Fit(student.Model, set, data.Valid, new CausalLMDistillOptions { Temperature = 2, Alpha = 0.5f });
/// </code>
/// </summary>
public static class CausalLMDistiller
{
    /// <summary>A fresh student with <paramref name="config"/>'s architecture and the teacher's tokenizer.</summary>
    public static TokenizedCausalLM CreateStudent(TokenizedCausalLM teacher, CausalLMConfig config)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(config);
        if (config.VocabSize != teacher.Model.Config.VocabSize)
            throw new ArgumentException($"distill: the student's vocabulary size {config.VocabSize} differs from the teacher's {teacher.Model.Config.VocabSize}; " +
                                        "the student reuses the teacher's tokenizer.");
        var student = new TokenizedCausalLM(new CausalLM(config), teacher.Tokenizer) { BosId = teacher.BosId, EosId = teacher.EosId };
        CheckCompatible(teacher, student);
        return student;
    }

    /// <summary>Throws unless teacher and student share vocabulary and tokenizer and the student's context fits the teacher's.</summary>
    public static void CheckCompatible(TokenizedCausalLM teacher, TokenizedCausalLM student)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(student);
        int tv = teacher.Model.Config.VocabSize, sv = student.Model.Config.VocabSize;
        if (tv != sv)
            throw new ArgumentException($"distill: the vocabularies differ: the teacher has {tv} tokens, the student {sv}; a student must use the teacher's tokenizer.");
        if (teacher.Tokenizer.Kind != student.Tokenizer.Kind || teacher.Tokenizer.VocabSize != student.Tokenizer.VocabSize
            || !string.Equals(teacher.Tokenizer.ToJson(), student.Tokenizer.ToJson(), StringComparison.Ordinal))
            throw new ArgumentException($"distill: the tokenizers differ (teacher {teacher.Tokenizer.Kind} with {teacher.Tokenizer.VocabSize} tokens, " +
                                        $"student {student.Tokenizer.Kind} with {student.Tokenizer.VocabSize}); the same id must mean the same token in both.");
        int tc = teacher.Model.Config.ContextLength, sc = student.Model.Config.ContextLength;
        if (sc > tc)
            throw new ArgumentException($"distill: the student's context length {sc} exceeds the teacher's {tc}; the teacher cannot score windows that long.");
    }

    /// <summary>Builds the teacher cache over <paramref name="trainIds"/> and trains the student on it.</summary>
    public static CausalLMDistillResult Distill(TokenizedCausalLM teacher, TokenizedCausalLM student, int[] trainIds, int[] validIds, CausalLMDistillOptions options,
        IProgress<TrainProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CheckCompatible(teacher, student);
        var clock = Stopwatch.StartNew();
        var set = CausalLMTransferSet.Build(teacher.Model, trainIds, student.Model.Config.ContextLength, options.Temperature, options.TopK, options.TeacherBatch);
        double teacherSeconds = clock.Elapsed.TotalSeconds;
        return Fit(student.Model, set, validIds, options, progress, cancel) with { TeacherSeconds = teacherSeconds };
    }

    /// <summary>
    /// Trains <paramref name="student"/> on random batches of <paramref name="set"/>'s windows: the distillation loss
    /// when the set holds teacher targets, else (α must then be 0) plain next-token cross-entropy.
    /// </summary>
    public static CausalLMDistillResult Fit(CausalLM student, CausalLMTransferSet set, int[] validIds, CausalLMDistillOptions options,
        IProgress<TrainProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(student);
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(validIds);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var training = options.Training;
        int t = set.Context, v = set.VocabSize, b = training.BatchSize;
        if (student.Config.VocabSize != v)
            throw new ArgumentException($"distill: the student's vocabulary {student.Config.VocabSize} differs from the transfer set's {v}.");
        if (t > student.Config.ContextLength)
            throw new ArgumentException($"distill: windows of {t} tokens exceed the student's context length {student.Config.ContextLength}.");
        if (!set.HasTeacher && options.Alpha > 0)
            throw new ArgumentException($"distill: alpha {options.Alpha} needs teacher targets, and this transfer set holds none (use alpha 0 for the hard-label baseline).");
        if (validIds.Length <= t)
            throw new ArgumentException($"distill: {validIds.Length} validation tokens are too few for windows of {t}.");

        // Fixed evaluation batches (random windows of the validation tokens, and of the transfer set), drawn once.
        var evalRng = new Rng(training.Seed ^ 0xE7A1UL);
        var validEval = new List<(IntTensor X, IntTensor Y)>(training.CausalLM.EvalBatches);
        var trainEval = new List<(IntTensor X, IntTensor Y)>(training.CausalLM.EvalBatches);
        for (int i = 0; i < training.CausalLM.EvalBatches; i++) validEval.Add(ValidationBatch(validIds, t, b, evalRng));
        for (int i = 0; i < training.CausalLM.EvalBatches; i++) trainEval.Add(set.Batch(RandomWindows(set, b, evalRng)));

        bool soft = set.HasTeacher && options.Alpha > 0;
        var targets = soft ? new float[b * t * v] : null;
        var task = new CausalLMTrainingTask(student, training, (long)b * training.GradientAccumulation * t, rng =>
        {
            var windows = RandomWindows(set, b, rng);
            var (x, y) = set.Batch(windows);
            if (!soft) return student.Loss(x, y);
            set.DenseTargets(windows, targets!);
            var logits = student.Forward(x).Reshape(b * t, v);                           // (B·T, V)
            return DistillationLoss.Compute(logits, targets, y.Data, options.Temperature, options.Alpha);
        }, trainEval, validEval, progress, "distill");
        new Trainer<int>(task, new CausalLMOptimization(student, training).Settings()).Fit(cancel);
        return new CausalLMDistillResult
        {
            Steps = training.Steps, TrainLoss = task.TrainLoss, ValidationLoss = task.ValidationLoss, TrainSeconds = task.TrainingTime.TotalSeconds,
            Windows = set.Windows, TopK = set.HasTeacher ? set.K : 0, CacheBytes = set.CacheBytes,
        };
    }

    private static (IntTensor X, IntTensor Y) ValidationBatch(int[] ids, int t, int b, Rng rng)
    {
        var x = new int[b * t];
        var y = new int[b * t];
        for (int i = 0; i < b; i++)
        {
            int start = rng.NextInt(ids.Length - t);
            Array.Copy(ids, start, x, i * t, t);
            Array.Copy(ids, start + 1, y, i * t, t);
        }
        return (new IntTensor(x, b, t), new IntTensor(y, b, t));
    }

    private static int[] RandomWindows(CausalLMTransferSet set, int count, Rng rng)
    {
        var windows = new int[count];
        for (int i = 0; i < count; i++) windows[i] = rng.NextInt(set.Windows);
        return windows;
    }
}
