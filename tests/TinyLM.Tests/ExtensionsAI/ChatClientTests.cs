using Microsoft.Extensions.AI;
using TinyLM.Extensions.AI;
using TinyLM.Models;
using TinyLM.Models.Generation;
using TinyLM.Tests.Models;
using TinyLM.Text;

namespace TinyLM.Tests.ExtensionsAI;

/// <summary>The chat client used as an app would: through <see cref="IChatClient"/> only, against the library's Generator.</summary>
public class ChatClientTests
{
    internal static TokenizedCausalLM TinyLM()
    {
        var tokenizer = CharTokenizer.Fit("abcdefghijklmnopqrstuvwxyz :.\n");
        var config = CausalLMTests.Gpt2 with { VocabSize = tokenizer.VocabSize, ContextLength = 64 };
        return new TokenizedCausalLM(CausalLMTests.Randomised(config, 0.6f), tokenizer);
    }

    private static readonly ChatMessage[] Chat = [new(ChatRole.System, "be brief"), new(ChatRole.User, "to be")];

    private static GenerationResult Library(TokenizedCausalLM lm, SamplingOptions sampling) =>
        new Generator(lm).Generate("system: be brief\nuser: to be\nassistant:", sampling);

    [Fact]
    public async Task Greedy_EqualsTheGenerator_WithTheServersTranscript()
    {
        var lm = TinyLM();
        IChatClient client = new TinyLMChatClient(lm, "verse");
        var response = await client.GetResponseAsync(Chat, new ChatOptions { Temperature = 0, MaxOutputTokens = 12 });
        var expected = Library(lm, SamplingOptions.Greedy with { MaxTokens = 12 });
        Assert.Equal(expected.Text, response.Text);
        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);
        Assert.Equal("verse", response.ModelId);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(12, response.Usage!.OutputTokenCount);
        Assert.Equal(expected.PromptTokens, response.Usage.InputTokenCount);
        Assert.Equal("tinylm", client.GetService<ChatClientMetadata>()!.ProviderName);
    }

    [Fact]
    public async Task Sampling_OptionsMapOntoSamplingOptions_AndStreamingConcatenatesToTheSameText()
    {
        var lm = TinyLM();
        using IChatClient client = new TinyLMChatClient(lm);
        var options = new ChatOptions { Temperature = 0.9f, TopP = 0.95f, TopK = 5, Seed = 7, MaxOutputTokens = 20 };
        var whole = await client.GetResponseAsync(Chat, options);
        var expected = Library(lm, new SamplingOptions { Temperature = 0.9f, TopP = 0.95f, TopK = 5, Seed = 7, MaxTokens = 20 });
        Assert.Equal(expected.Text, whole.Text);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Chat, options)) updates.Add(update);
        Assert.True(updates.Count > 2);
        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
        var combined = updates.ToChatResponse();
        Assert.Equal(whole.Text, combined.Text);
        Assert.Equal(ChatFinishReason.Length, combined.FinishReason);
        Assert.Equal(20, combined.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task StopSequences_EndTheReplyAsTheGeneratorDoes()
    {
        var lm = TinyLM();
        IChatClient client = new TinyLMChatClient(lm);
        string free = Library(lm, SamplingOptions.Greedy with { MaxTokens = 24 }).Text;
        string stop = free.Substring(6, 2);
        var response = await client.GetResponseAsync(Chat, new ChatOptions { Temperature = 0, MaxOutputTokens = 24, StopSequences = [stop] });
        Assert.Equal(Library(lm, SamplingOptions.Greedy with { MaxTokens = 24, Stop = [stop] }).Text, response.Text);
        Assert.True(response.Text.Length < free.Length);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task Cancellation_StopsTheGeneration_AndTheClientServesTheNextCall()
    {
        var lm = TinyLM();
        IChatClient client = new TinyLMChatClient(lm);
        using (var before = new CancellationTokenSource())
        {
            await before.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync(Chat, new ChatOptions { MaxOutputTokens = 40 }, before.Token));
        }
        using (var during = new CancellationTokenSource())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (var _ in client.GetStreamingResponseAsync(Chat, new ChatOptions { MaxOutputTokens = 40 }, during.Token))
                    await during.CancelAsync();
            });
        }
        // A consumer that stops reading early (break) releases the model too.
        await foreach (var _ in client.GetStreamingResponseAsync(Chat, new ChatOptions { MaxOutputTokens = 40 })) break;
        var next = await client.GetResponseAsync(Chat, new ChatOptions { Temperature = 0, MaxOutputTokens = 5 });
        Assert.Equal(Library(lm, SamplingOptions.Greedy with { MaxTokens = 5 }).Text, next.Text);
    }

    [Fact]
    public void Transcript_IsTheOneServeBuilds()
    {
        Assert.Equal("system: be brief\nuser: to be\nassistant:", TinyLMChatClient.Prompt(Chat));
        Assert.Equal("system: be brief\nuser: to be\nassistant:", ChatTranscript.Prompt([new("system", "be brief"), new("user", "to be")]));
        Assert.Equal("system: hush\nuser: to be\nassistant:", TinyLMChatClient.Prompt([Chat[1]], new ChatOptions { Instructions = "hush" }));
        Assert.Throws<ArgumentException>(() => TinyLMChatClient.Sampling(new ChatOptions { Temperature = -1 }));
    }
}
