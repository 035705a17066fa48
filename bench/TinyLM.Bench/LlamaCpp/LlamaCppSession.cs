using LLama;
using LLama.Common;
using LLama.Native;

namespace TinyLM.Bench.LlamaCpp;

/// <summary>
/// One llama.cpp context over a GGUF file, driven token by token through LLamaSharp's low-level API (a batch,
/// decode, the logits of the last position): the peer that the GGUF parity test and the generation benchmark
/// compare against. The KV cache is kept in f32 and flash attention off, so f32 logits are comparable with ours.
/// </summary>
public sealed class LlamaCppSession : IDisposable
{
    private static readonly Lock _initLock = new();
    private static string? _loadError;
    private static bool _initialised;

    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly LLamaBatch _batch = new();

    /// <summary>Null when llama.cpp's native library loads here; otherwise why it does not.</summary>
    public static string? LoadError()
    {
        lock (_initLock)
        {
            if (_initialised) return _loadError;
            _initialised = true;
            try
            {
                // Silence llama.cpp's model-loading chatter; configuration must precede the first native call.
                NativeLibraryConfig.All.WithLogCallback((_, _) => { });
                _ = NativeApi.llama_max_devices();
            }
            catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or LLama.Exceptions.RuntimeError or BadImageFormatException or EntryPointNotFoundException or InvalidOperationException)
            {
                _loadError = $"llama.cpp native library (LLamaSharp.Backend.Cpu) did not load: {ex.GetBaseException().Message}";
            }
            return _loadError;
        }
    }

    public LlamaCppSession(string ggufPath, int contextSize, int threads)
    {
        if (LoadError() is { } error) throw new InvalidOperationException(error);
        var p = new ModelParams(ggufPath)
        {
            ContextSize = (uint)contextSize,
            BatchSize = (uint)contextSize,
            UBatchSize = (uint)contextSize,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
            TypeK = GGMLType.GGML_TYPE_F32,
            TypeV = GGMLType.GGML_TYPE_F32,
            FlashAttention = false,
        };
        _weights = LLamaWeights.LoadFromFile(p);
        _context = _weights.CreateContext(p);
        VocabSize = _weights.Vocab.Count;
    }

    public int VocabSize { get; }

    /// <summary>Positions already in the cache.</summary>
    public int Position { get; private set; }

    /// <summary>Feeds <paramref name="tokens"/> in one batch; returns the logits after the last.</summary>
    public float[] Prefill(ReadOnlySpan<int> tokens)
    {
        _batch.Clear();
        for (int i = 0; i < tokens.Length; i++)
            _batch.Add((LLamaToken)tokens[i], Position + i, LLamaSeqId.Zero, i == tokens.Length - 1);
        Decode();
        Position += tokens.Length;
        return _context.NativeHandle.GetLogitsIth(_batch.TokenCount - 1).ToArray();
    }

    /// <summary>Feeds one token; the returned span is llama.cpp's logits buffer, valid until the next call.</summary>
    public ReadOnlySpan<float> DecodeStep(int token)
    {
        _batch.Clear();
        _batch.Add((LLamaToken)token, Position, LLamaSeqId.Zero, true);
        Decode();
        Position++;
        return _context.NativeHandle.GetLogitsIth(0);
    }

    /// <summary>llama.cpp's own tokenization of <paramref name="text"/> (BOS as the vocabulary asks).</summary>
    public int[] Tokenize(string text) => [.. _context.Tokenize(text, addBos: true, special: false).Select(t => (int)t)];

    private void Decode()
    {
        DecodeResult r = _context.NativeHandle.Decode(_batch);
        if (r != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp decode failed: {r}.");
    }

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }
}
