using TinyLM.Text;

namespace TinyLM.Models.Generation;

/// <summary>
/// Turns generated tokens into streamed text with stop strings: decodes all tokens so far (so multi-token UTF-8
/// characters come out whole), emits what can no longer change, and reports when a stop string appears.
/// </summary>
internal sealed class TextStream(ITokenizer tokenizer, IReadOnlyList<string> stop, Action<string>? onText)
{
    private readonly List<int> _tokens = [];
    private string _text = "";
    private int _emitted;

    /// <summary>The final text: everything before the first stop string.</summary>
    public string Text { get; private set; } = "";

    /// <summary>Adds a token; true when a stop string has appeared (then the text ends before it).</summary>
    public bool Add(int token)
    {
        _tokens.Add(token);
        _text = tokenizer.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_tokens));
        int cut = FirstStop(_text);
        if (cut >= 0)
        {
            Text = _text[..cut];
            Emit(cut);
            return true;
        }
        Text = _text;
        Emit(SafeLength(_text));
        return false;
    }

    /// <summary>Emits whatever was held back (no stop string came).</summary>
    public void Finish() => Emit(Text.Length);

    private void Emit(int upTo)
    {
        if (upTo <= _emitted) return;
        onText?.Invoke(Text[_emitted..upTo]);
        _emitted = upTo;
    }

    private int FirstStop(string text)
    {
        int best = -1;
        foreach (var s in stop)
        {
            int i = text.IndexOf(s, Math.Max(0, _emitted - s.Length), StringComparison.Ordinal);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    // The longest prefix that cannot change: not ending in U+FFFD (a partial UTF-8 sequence may complete) nor in a
    // proper prefix of a stop string.
    private int SafeLength(string text)
    {
        int n = text.Length;
        while (n > _emitted && text[n - 1] == '\uFFFD') n--;
        int hold = 0;
        foreach (var s in stop)
            for (int len = Math.Min(s.Length - 1, n); len > hold; len--)
                if (string.CompareOrdinal(text, n - len, s, 0, len) == 0) { hold = len; break; }
        return n - hold;
    }
}
