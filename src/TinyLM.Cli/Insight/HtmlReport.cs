using System.Globalization;
using System.Net;
using System.Text;

namespace TinyLM.Cli.Insight;

/// <summary>
/// One self-contained HTML page (inline CSS and SVG, no script, nothing fetched): a title and sections of tables,
/// charts and text, for <c>--report FILE.html</c>.
/// </summary>
internal sealed class HtmlReport(string title)
{
    private readonly StringBuilder _body = new();

    private static string E(string s) => WebUtility.HtmlEncode(s);

    /// <summary>A section with a heading and already-built HTML (a chart, a table).</summary>
    public HtmlReport Section(string heading, string html)
    {
        _body.Append("<section><h2>").Append(E(heading)).Append("</h2>").Append(html).Append("</section>\n");
        return this;
    }

    /// <summary>A two-column table of names and values.</summary>
    public static string Facts(IEnumerable<(string Name, string Value)> rows) =>
        "<table class=\"facts\">" + string.Concat(rows.Select(r => $"<tr><th>{E(r.Name)}</th><td>{E(r.Value)}</td></tr>")) + "</table>";

    /// <summary>A table with a header row; cells are HTML (encode text with <see cref="Text"/>).</summary>
    public static string Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows) =>
        "<table class=\"grid\"><tr>" + string.Concat(header.Select(h => $"<th>{E(h)}</th>")) + "</tr>" +
        string.Concat(rows.Select(r => "<tr>" + string.Concat(r.Select(c => $"<td>{c}</td>")) + "</tr>")) + "</table>";

    /// <summary>Text as HTML.</summary>
    public static string Text(string text) => E(text);

    /// <summary>A token shaded green (for) or red (against) by its score relative to <paramref name="scale"/>.</summary>
    public static string Token(string piece, float score, float scale)
    {
        double strength = scale > 0 ? Math.Clamp(Math.Abs(score) / scale, 0, 1) : 0;
        string colour = score >= 0 ? "30,140,60" : "210,40,40";
        return string.Create(CultureInfo.InvariantCulture,
            $"<span class=\"tok\" style=\"background:rgba({colour},{strength * 0.8:0.##})\" title=\"{AttributionView.Signed(score)}\">{E(piece)}</span>");
    }

    public override string ToString() =>
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + E(title) + "</title><style>" +
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #ccc}" +
        "table{border-collapse:collapse}th,td{padding:2px 8px;text-align:left;vertical-align:top}table.grid td,table.grid th{border:1px solid #ddd}" +
        ".tok{padding:0 2px;border-radius:3px}</style></head><body><h1>" + E(title) + "</h1>\n" + _body + "</body></html>\n";
}
