using TinyLM.Cli.Common;
using TinyLM.Cli.Compress;

namespace TinyLM.Tests.Cli;

/// <summary>Compression verbs write only an output smaller than their input (issue 21).</summary>
public sealed class SmallerOutputTests
{
    [Fact]
    public void An_output_not_smaller_than_its_input_is_refused_and_not_written()
    {
        string dir = Directory.CreateTempSubdirectory("tinylm-smaller").FullName;
        try
        {
            string input = Path.Combine(dir, "in.tlm"), output = Path.Combine(dir, "out.tlm");
            File.WriteAllBytes(input, new byte[100]);
            var error = Assert.Throws<CliError>(() => SmallerOutput.Save("prune", input, output, p => File.WriteAllBytes(p, new byte[100]), "nothing to remove"));
            Assert.Equal(ExitCodes.BadInput, error.ExitCode);
            Assert.Contains("not smaller", error.Message, StringComparison.Ordinal);
            Assert.Contains("nothing to remove", error.Message, StringComparison.Ordinal);
            Assert.Equal(new[] { "in.tlm" }, Directory.GetFiles(dir).Select(Path.GetFileName)); // no output, no leftover

            SmallerOutput.Save("prune", input, output, p => File.WriteAllBytes(p, new byte[60]), "unused");
            Assert.Equal(60, new FileInfo(output).Length);
            Assert.Equal(2, Directory.GetFiles(dir).Length);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_student_as_large_as_its_teacher_is_refused_before_training()
    {
        var error = Assert.Throws<CliError>(() => SmallerOutput.CheckStudent(1000, 900, "choose a smaller student"));
        Assert.Contains("would not be smaller", error.Message, StringComparison.Ordinal);
        SmallerOutput.CheckStudent(899, 900, "unused");
    }
}
