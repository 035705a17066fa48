using System.Text;

namespace TinyLM.Models.Generation;

/// <summary>One message of a chat: its role ("system", "user", "assistant", …) and text.</summary>
public readonly record struct ChatTurn(string Role, string Content);

/// <summary>
/// The prompt a causal LM continues for a chat. TinyLM's models have no chat template of their own, so a chat is a
/// plain transcript — "role: content" a line — ending in "assistant:" for the model to go on from. `tinylm serve`'s
/// /v1/chat/completions and the Microsoft.Extensions.AI chat client both use this one function, so a chat gives the
/// same text in-process and over HTTP.
/// </summary>
public static class ChatTranscript
{
    /// <summary>The transcript of <paramref name="messages"/> followed by the assistant's turn.</summary>
    public static string Prompt(IEnumerable<ChatTurn> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var prompt = new StringBuilder();
        foreach (var m in messages)
        {
            if (m.Role is null || m.Content is null) throw new ArgumentException("ChatTranscript: each message needs a role and a content.");
            prompt.Append(m.Role).Append(": ").Append(m.Content).Append('\n');
        }
        return prompt.Append("assistant:").ToString();
    }
}
