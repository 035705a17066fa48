namespace TinyLM.Training;

/// <summary>Argument checks shared by the corpus-level text metrics.</summary>
internal static class MetricArgs
{
    public static void CheckCorpus(string metric, IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string?>> referenceStreams)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(referenceStreams);
        if (referenceStreams.Count == 0) throw new ArgumentException($"{metric}: at least one reference stream is needed", nameof(referenceStreams));
        for (int r = 0; r < referenceStreams.Count; r++)
        {
            IReadOnlyList<string?> stream = referenceStreams[r] ?? throw new ArgumentException($"{metric}: reference stream {r} is null", nameof(referenceStreams));
            if (stream.Count != hypotheses.Count)
            {
                throw new ArgumentException($"{metric}: reference stream {r} has {stream.Count} segments but there are {hypotheses.Count} hypotheses", nameof(referenceStreams));
            }
        }

        for (int i = 0; i < hypotheses.Count; i++)
        {
            if (hypotheses[i] is null) throw new ArgumentException($"{metric}: hypothesis {i} is null", nameof(hypotheses));
        }
    }

    public static List<string> ReferencesOf(string metric, IReadOnlyList<IReadOnlyList<string?>> referenceStreams, int segment)
    {
        var refs = new List<string>(referenceStreams.Count);
        foreach (IReadOnlyList<string?> stream in referenceStreams)
        {
            if (stream[segment] is string r) refs.Add(r);
        }

        if (refs.Count == 0) throw new ArgumentException($"{metric}: segment {segment} has no reference");
        return refs;
    }
}
