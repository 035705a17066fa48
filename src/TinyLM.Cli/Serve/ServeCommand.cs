using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using TinyLM.Cli.Common;

namespace TinyLM.Cli.Serve;

/// <summary>
/// <c>tinylm serve MODEL… [--host] [--port] …</c>: an HTTP server (ASP.NET Core Kestrel, minimal APIs) for classifiers
/// (POST /v1/classify) and translation models (POST /v1/translate), both dynamically batched, and causal LMs
/// (OpenAI-compatible /v1/completions and /v1/chat/completions, streaming as server-sent events), with /v1/models, /health, /ready and /metrics. Runs until SIGTERM/Ctrl+C, then
/// finishes the requests in flight. Endpoints and limits: docs/shipping.md.
/// </summary>
public static class ServeCommand
{
    private static readonly Argument<string[]> ModelsArgument = new("MODEL") { Description = "Models to serve: PATH (named by its file stem) or NAME=PATH; .tlm classifiers and causal LMs, GGUF or llama2.c .bin", Arity = ArgumentArity.OneOrMore };
    private static readonly Option<string?> TokenizerOption = new("--tokenizer") { Description = "Tokenizer file for llama2.c .bin models" };
    private static readonly Option<string> HostOption = new("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
    private static readonly Option<int> PortOption = new("--port") { Description = "Port to listen on (0 = any free port)", DefaultValueFactory = _ => 8080 };
    private static readonly Option<int> MaxBatchOption = new("--max-batch") { Description = "Texts per batched classifier forward at most", DefaultValueFactory = _ => 64 };
    private static readonly Option<double> BatchWaitOption = new("--batch-wait-ms") { Description = "Milliseconds the batcher waits for more requests", DefaultValueFactory = _ => 2 };
    private static readonly Option<long> MaxBodyOption = new("--max-body") { Description = "Request body bytes at most (413 beyond)", DefaultValueFactory = _ => 256 * 1024 };
    private static readonly Option<double> TimeoutOption = new("--timeout") { Description = "Seconds a request may take (504 beyond)", DefaultValueFactory = _ => 60 };
    private static readonly Option<int> ConcurrencyOption = new("--concurrency") { Description = "Requests running at once (as many again may queue; 429 beyond)", DefaultValueFactory = _ => 256 };

    public static Command Create()
    {
        var command = new Command("serve", "Serve models over HTTP: /v1/classify, /v1/translate, OpenAI-compatible /v1/completions and /v1/chat/completions (streaming), /health, /metrics.");
        command.Arguments.Add(ModelsArgument);
        command.AddOptions([TokenizerOption, HostOption, PortOption, MaxBatchOption, BatchWaitOption, MaxBodyOption, TimeoutOption, ConcurrencyOption, SharedOptions.Threads]);
        command.SetRunner(Run);
        return command;
    }

    /// <summary>The options as given, checked.</summary>
    internal static ServeOptions Options(ParseResult parse)
    {
        var o = new ServeOptions
        {
            Host = parse.GetValue(HostOption)!, Port = parse.GetValue(PortOption), MaxBatch = parse.GetValue(MaxBatchOption),
            BatchWait = TimeSpan.FromMilliseconds(parse.GetValue(BatchWaitOption)), MaxBody = parse.GetValue(MaxBodyOption),
            Timeout = TimeSpan.FromSeconds(parse.GetValue(TimeoutOption)), Concurrency = parse.GetValue(ConcurrencyOption),
        };
        if (o.Port is < 0 or > 65535) throw new CliError($"--port must be in [0, 65535], got {o.Port}.", ExitCodes.Usage);
        if (o.MaxBatch < 1) throw new CliError($"--max-batch must be ≥ 1, got {o.MaxBatch}.", ExitCodes.Usage);
        if (o.BatchWait < TimeSpan.Zero) throw new CliError("--batch-wait-ms must be ≥ 0.", ExitCodes.Usage);
        if (o.MaxBody < 1) throw new CliError($"--max-body must be ≥ 1, got {o.MaxBody}.", ExitCodes.Usage);
        if (o.Timeout <= TimeSpan.Zero) throw new CliError("--timeout must be > 0.", ExitCodes.Usage);
        if (o.Concurrency < 1) throw new CliError($"--concurrency must be ≥ 1, got {o.Concurrency}.", ExitCodes.Usage);
        return o;
    }

    private static int Run(ParseResult parse)
    {
        var options = Options(parse);
        var metrics = new ServeMetrics();
        var models = new List<ServedModel>();
        foreach (var spec in parse.GetValue(ModelsArgument)!)
        {
            var model = ServedModel.Load(spec, parse.GetValue(TokenizerOption), options, metrics);
            if (models.Any(m => m.Name == model.Name))
                throw new CliError($"serve: two models are named '{model.Name}'; name them with NAME=PATH.", ExitCodes.Usage);
            models.Add(model);
        }
        var app = ServeApp.Build(models, options, metrics);
        try
        {
            app.Start();
        }
        catch (IOException e)
        {
            throw new CliError($"serve: cannot listen on {options.Host}:{options.Port}: {e.Message}", ExitCodes.BadInput);
        }
        Console.Error.WriteLine($"tinylm serve: {string.Join(", ", models.Select(m => $"{m.Name} ({m.Kind})"))} on {ServeApp.Address(app)}");
        app.WaitForShutdown();
        foreach (var m in models) m.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return ExitCodes.Ok;
    }
}
