using System.ClientModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.AI;
using OpenAI;
using TinyLM.Cli.Serve;
using TinyLM.Extensions.AI;
using TinyLM.IO;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace TinyLM.Tests.ExtensionsAI;

/// <summary>A random-weight causal LM served in-process by <c>tinylm serve</c> on a free loopback port.</summary>
public sealed class OpenAIWireFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-openai-").FullName;
    private ServedModel _model = null!;
    public WebApplication App { get; private set; } = null!;
    public string ModelPath => Path.Combine(_dir, "verse.tlm");

    public async Task InitializeAsync()
    {
        ChatClientTests.TinyLM().Save(ModelPath);
        var options = new ServeOptions { Port = 0 };
        var metrics = new ServeMetrics();
        _model = ServedModel.Load(ModelPath, null, options, metrics);
        App = ServeApp.Build([_model], options, metrics);
        await App.StartAsync();
    }

    /// <summary>OpenAI's own .NET client (through Microsoft.Extensions.AI.OpenAI), pointed at the server.</summary>
    public IChatClient OpenAIClient() =>
        new OpenAI.Chat.ChatClient("verse", new ApiKeyCredential("not-needed"), new OpenAIClientOptions { Endpoint = new Uri(ServeApp.Address(App) + "/v1") })
            .AsIChatClient();

    public async Task DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        await _model.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>Wire compatibility: OpenAI's client talks to <c>tinylm serve</c> and gets what the in-process chat client gives.</summary>
public sealed class OpenAIWireTests(OpenAIWireFixture server) : IClassFixture<OpenAIWireFixture>
{
    private static readonly ChatMessage[] Chat = [new(ChatRole.User, "to be")];

    private async Task<string> InProcessAsync(int tokens) =>
        (await new TinyLMChatClient(CausalLMFile.Load(server.ModelPath)).GetResponseAsync(Chat, new ChatOptions { Temperature = 0, MaxOutputTokens = tokens })).Text;

    [Fact]
    public async Task OpenAIClient_Whole_GetsTheInProcessReply()
    {
        using var client = server.OpenAIClient();
        var response = await client.GetResponseAsync(Chat, new ChatOptions { Temperature = 0, MaxOutputTokens = 10 });
        Assert.Equal(await InProcessAsync(10), response.Text);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(10, response.Usage!.OutputTokenCount);
        Assert.Equal("verse", response.ModelId);
    }

    [Fact]
    public async Task OpenAIClient_Streamed_ConcatenatesToTheInProcessReply()
    {
        using var client = server.OpenAIClient();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Chat, new ChatOptions { Temperature = 0, MaxOutputTokens = 12 }))
            updates.Add(update);
        Assert.True(updates.Count > 2);
        var response = updates.ToChatResponse();
        Assert.Equal(await InProcessAsync(12), response.Text);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
    }
}
