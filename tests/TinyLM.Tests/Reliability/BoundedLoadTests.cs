using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tests.IO.Llama;

namespace TinyLM.Tests.Reliability;

/// <summary>
/// Issue 16's bounded memory: a llama2.c checkpoint is streamed straight into the model's parameters, so loading holds
/// one copy of the weights (it used to hold the file's arrays and the model's copy side by side: twice the file).
/// The whole-process figure for the 110M shape is measured by bench/llama2c-load-memory.sh (docs/benchmarks.md).
/// </summary>
public sealed class BoundedLoadTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Streaming_into_the_model_gives_the_same_weights_as_reading_then_converting(bool shared)
    {
        using var dir = new ScratchDir();
        string path = dir.File("model.bin");
        Llama2cCheckpoint.Write(path, LlamaFixtures.TinyWeights(300, shared));
        CausalLM converted = LlamaConversion.ToModel(Llama2cCheckpoint.Read(path)), streamed = Llama2cCheckpoint.ReadModel(path);
        Assert.Equal(converted.Config, streamed.Config);
        foreach (var ((name, a), (_, b)) in converted.NamedParameters().Zip(streamed.NamedParameters()))
            Assert.True(a.AsSpan().SequenceEqual(b.AsSpan()), name);
    }

    [Fact]
    public void Loading_allocates_about_the_file_size_once_not_twice()
    {
        using var dir = new ScratchDir();
        string path = dir.File("model.bin");
        Llama2cCheckpoint.Write(path, LlamaFixtures.TinyWeights(4000, shared: false));
        long file = new FileInfo(path).Length;
        Llama2cCheckpoint.ReadModel(path); // JIT and first-use allocations out of the way

        long before = GC.GetAllocatedBytesForCurrentThread();
        Llama2cCheckpoint.ReadModel(path);
        long streamed = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        LlamaConversion.ToModel(Llama2cCheckpoint.Read(path));
        long twoCopies = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(streamed <= 1.1 * file + (256 << 10), $"streaming allocated {streamed:N0} bytes for a {file:N0}-byte file");
        Assert.True(twoCopies >= 1.9 * file, $"the two-copy path allocated {twoCopies:N0} bytes for a {file:N0}-byte file: the comparison is void");
    }
}
