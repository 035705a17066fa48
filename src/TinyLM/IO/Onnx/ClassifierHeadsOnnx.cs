using TinyLM.IO.Onnx.Proto;
using TinyLM.Models;
using static TinyLM.IO.Onnx.OnnxGraphBuilder;

namespace TinyLM.IO.Onnx;

/// <summary>
/// The classifier's mixture (<see cref="ClassifierMixture"/>) in ONNX: the naive Bayes log-posterior and the tf-idf
/// SVM margins, each blended into the network's logits the way <see cref="NaiveBayesHead.Blend"/> and
/// <see cref="LinearSvmHead.Blend"/> do: (1 − w)·log softmax(logits) + w·head.
/// </summary>
internal static class ClassifierHeadsOnnx
{
    /// <summary>Naive Bayes: log softmax(log_prior + Σ over valid positions of log_prob[id]) (B, C).</summary>
    public static string NaiveBayesLogPosterior(this OnnxGraphBuilder g, string ids, string lengths, NaiveBayesHead head)
    {
        string perToken = g.Node("Gather", [g.Weight("nb.log_prob", head.LogProb), ids], Int("axis", 0)); // (B, T, C)
        string mask = g.Node("Cast", [g.Node("Unsqueeze", [g.ValidMask(ids, lengths), g.Longs(2)])], Int("to", (long)TensorProto.Types.DataType.Float));
        string sum = g.Node("ReduceSum", [g.Node("Mul", [perToken, mask]), g.Longs(1)], Int("keepdims", 0)); // (B, C)
        return g.Node("LogSoftmax", [g.Node("Add", [sum, g.Weight("nb.log_prior", head.LogPrior)])], Int("axis", -1));
    }

    /// <summary>
    /// SVM margins (B, C) = x·W + b, where x (B, rows) is each text's L2-normalised (1 + ln tf)·idf over the ids of its
    /// valid positions. Term counts come from ScatterElements(add) of the validity mask into a (B, rows) zero tensor,
    /// so repeated ids count as ours does when it sorts and groups them.
    /// </summary>
    public static string SvmMargins(this OnnxGraphBuilder g, string ids, string lengths, LinearSvmHead head)
    {
        int rows = head.Rows;
        string mask = g.Node("Cast", [g.ValidMask(ids, lengths)], Int("to", (long)TensorProto.Types.DataType.Float)); // (B, T)
        string shape = g.Node("Concat", [g.AxisSize(ids, 0), g.Longs(rows)], Int("axis", 0));
        string zeros = g.Node("ConstantOfShape", [shape]);                                    // (B, rows), float 0 by default
        string counts = g.Node("ScatterElements", [zeros, ids, mask], Int("axis", 1), Str("reduction", "add"));
        string present = g.Node("Greater", [counts, g.Scalar(0f)]);
        // Max(counts, 1) keeps Log finite where the count is 0; Where then drops those entries.
        string tf = g.Node("Add", [g.Node("Log", [g.Node("Max", [counts, g.Scalar(1f)])]), g.Scalar(1f)]);
        string weighted = g.Node("Mul", [g.Node("Where", [present, tf, g.Scalar(0f)]), g.Weight("svm.idf", head.Idf)]);
        string norm = g.Node("Sqrt", [g.Node("ReduceSum", [g.Node("Mul", [weighted, weighted]), g.Longs(1)], Int("keepdims", 1))]);
        // An empty text (norm 0) is the zero vector, as ours: divide by max(norm, tiny) and the zeros stay zeros.
        string x = g.Node("Div", [weighted, g.Node("Max", [norm, g.Scalar(1e-30f)])]);
        return g.Node("Add", [g.Node("MatMul", [x, g.Weight("svm.weight", head.Weight)]), g.Weight("svm.bias", head.Bias)]);
    }

    /// <summary>(1 − w)·log softmax(logits) + w·scale·head, as the heads' Mix does.</summary>
    public static string Blend(this OnnxGraphBuilder g, string logits, string head, float weight, float scale = 1f)
    {
        string network = g.Node("Mul", [g.Node("LogSoftmax", [logits], Int("axis", -1)), g.Scalar(1f - weight)]);
        return g.Node("Add", [network, g.Node("Mul", [head, g.Scalar(weight * scale)])]);
    }
}
