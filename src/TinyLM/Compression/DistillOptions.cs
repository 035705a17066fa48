using TinyLM.Training;

namespace TinyLM.Compression;

/// <summary>Settings of a distillation run: the soft-target mix and the student's ordinary training options.</summary>
public sealed record DistillOptions
{
    /// <summary>Softmax temperature T of teacher and student in the soft term (&gt; 0; higher = softer targets).</summary>
    public float Temperature { get; init; } = 2f;
    /// <summary>Weight α of the soft term; 1 − α goes to the hard-label cross-entropy.</summary>
    public float Alpha { get; init; } = 0.5f;
    /// <summary>How the student is trained (epochs, batch, learning rate…); label smoothing does not apply.</summary>
    public TrainOptions Training { get; init; } = new();

    /// <summary>Checks every field and says which one is wrong.</summary>
    public void Validate()
    {
        DistillationLoss.Validate(Temperature, Alpha);
        Training.Validate();
    }
}

/// <summary>What a distillation run did.</summary>
/// <param name="Training">The student's training run.</param>
/// <param name="LabeledExamples">Texts with a hard label (both loss terms).</param>
/// <param name="UnlabeledExamples">Texts with teacher targets only.</param>
/// <param name="TeacherSeconds">Time spent computing the teacher's logits (once, before training).</param>
public sealed record DistillResult(TrainResult Training, int LabeledExamples, int UnlabeledExamples, double TeacherSeconds);
