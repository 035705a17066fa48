using TinyLM.IO;
using TinyLM.Tests.Text;

namespace TinyLM.Tests.Reliability;

/// <summary>A write killed between its temporary file and the rename leaves the temp behind; the next write to the same file removes it.</summary>
public sealed class StaleTempFileTests
{
    [Fact]
    public void The_next_write_removes_temps_of_dead_writers_and_keeps_everything_else()
    {
        using var dir = new TempDir();
        string target = Path.Combine(dir.Path, "model.tlm");
        int dead = DeadProcessId();
        string stale = Path.Combine(dir.Path, $".model.tlm.{dead}.0123456789ab{AtomicFile.TempSuffix}");
        string live = Path.Combine(dir.Path, $".model.tlm.{Environment.ProcessId}.0123456789ab{AtomicFile.TempSuffix}");
        string other = Path.Combine(dir.Path, $".other.tlm.{dead}.0123456789ab{AtomicFile.TempSuffix}");
        string foreign = Path.Combine(dir.Path, $".model.tlm.notes{AtomicFile.TempSuffix}");
        foreach (string f in new[] { stale, live, other, foreign }) File.WriteAllText(f, "x");

        AtomicFile.WriteAllText(target, "new");

        Assert.Equal("new", File.ReadAllText(target));
        Assert.False(File.Exists(stale), "the dead writer's temp is still there");
        Assert.True(File.Exists(live), "a live writer's temp was removed");
        Assert.True(File.Exists(other), "another target's temp was removed");
        Assert.True(File.Exists(foreign), "a file this class did not name was removed");
    }

    // A process id that no running process has: above any pid_max Linux allows (2^22), below int.MaxValue.
    private static int DeadProcessId()
    {
        for (int pid = 1 << 30; ; pid++)
        {
            try
            {
                using var p = System.Diagnostics.Process.GetProcessById(pid);
            }
            catch (ArgumentException)
            {
                return pid;
            }
        }
    }
}
