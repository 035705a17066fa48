using System.Globalization;
using System.Net;
using System.Text;

namespace TinyLM.Cli.Insight;

/// <summary>
/// Inline SVG charts for the HTML reports: no script, no network, readable in any browser. Each data point is one SVG
/// element with a class (<c>cell</c>, <c>bar</c>) and a <c>&lt;title&gt;</c> holding its value, so the page's tests
/// (and a reader hovering) can count and read them.
/// </summary>
internal static class SvgCharts
{
    private static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
    private static string E(string s) => WebUtility.HtmlEncode(s);

    /// <summary>A confusion matrix as a heat map: row = true label, column = predicted, shade = share of the row.</summary>
    public static string Heatmap(IReadOnlyList<string> labels, int[][] counts)
    {
        const int cell = 34, left = 120, top = 110;
        int n = labels.Count;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"heatmap\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{left + n * cell + 10}\" height=\"{top + n * cell + 10}\" font-size=\"11\">");
        for (int i = 0; i < n; i++)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{top + i * cell + cell / 2 + 4}\" text-anchor=\"end\">{E(labels[i])}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate({left + i * cell + cell / 2 + 4},{top - 6}) rotate(-60)\">{E(labels[i])}</text>");
        }
        for (int i = 0; i < n; i++)
        {
            double rowTotal = Math.Max(1, counts[i].Sum());
            for (int j = 0; j < n; j++)
            {
                double share = counts[i][j] / rowTotal;
                string fill = i == j ? $"rgba(30,120,60,{N(0.08 + 0.92 * share)})" : $"rgba(200,40,40,{N(counts[i][j] == 0 ? 0.03 : 0.15 + 0.85 * share)})";
                svg.Append(CultureInfo.InvariantCulture,
                    $"<rect class=\"cell\" x=\"{left + j * cell}\" y=\"{top + i * cell}\" width=\"{cell - 1}\" height=\"{cell - 1}\" fill=\"{fill}\"><title>true {E(labels[i])}, predicted {E(labels[j])}: {counts[i][j]}</title></rect>");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + j * cell + cell / 2}\" y=\"{top + i * cell + cell / 2 + 4}\" text-anchor=\"middle\">{counts[i][j]}</text>");
            }
        }
        return svg.Append("</svg>").ToString();
    }

    /// <summary>Grouped horizontal bars in [0, 1]: one group per label, one bar per series (precision, recall, F1).</summary>
    public static string Bars(IReadOnlyList<string> groups, IReadOnlyList<(string Name, string Colour, double[] Values)> series)
    {
        const int bar = 9, gap = 8, left = 120, width = 300;
        int groupHeight = series.Count * bar + gap, height = groups.Count * groupHeight + 30;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"bars\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{left + width + 60}\" height=\"{height}\" font-size=\"11\">");
        for (int g = 0; g < groups.Count; g++)
        {
            int y0 = g * groupHeight;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{y0 + series.Count * bar / 2 + 4}\" text-anchor=\"end\">{E(groups[g])}</text>");
            for (int s = 0; s < series.Count; s++)
            {
                double v = Math.Clamp(series[s].Values[g], 0, 1);
                svg.Append(CultureInfo.InvariantCulture,
                    $"<rect class=\"bar\" x=\"{left}\" y=\"{y0 + s * bar}\" width=\"{N(v * width)}\" height=\"{bar - 1}\" fill=\"{series[s].Colour}\"><title>{E(groups[g])} {E(series[s].Name)}: {v.ToString("F4", CultureInfo.InvariantCulture)}</title></rect>");
            }
        }
        for (int s = 0; s < series.Count; s++)
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left + s * 90}\" y=\"{height - 14}\" width=\"10\" height=\"10\" fill=\"{series[s].Colour}\"/><text x=\"{left + s * 90 + 14}\" y=\"{height - 5}\">{E(series[s].Name)}</text>");
        return svg.Append("</svg>").ToString();
    }
}
