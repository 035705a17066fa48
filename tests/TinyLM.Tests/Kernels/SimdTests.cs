using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TinyLM.Kernels;

namespace TinyLM.Tests.Kernels;

/// <summary>Runs alone: one test forces the process-wide level, and the others read it.</summary>
[CollectionDefinition("SimdSwitch", DisableParallelization = true)]
public sealed class SimdSwitchCollection;

[Collection("SimdSwitch")]
public class SimdTests
{
    [Theory]
    [InlineData("scalar", SimdLevel.Scalar)]
    [InlineData("v128", SimdLevel.V128)]
    [InlineData(" V256 ", SimdLevel.V256)]
    [InlineData("v512", SimdLevel.V512)]
    public void Names_parse_case_and_space_insensitively(string text, SimdLevel expected)
    {
        var choice = Simd.Resolve(text, SimdLevel.V512, hasVnni: true);
        Assert.Equal(expected, choice.Level);
        Assert.False(choice.Vnni);
        Assert.Null(choice.Warning);
        Assert.Equal(expected, Simd.Resolve(Simd.Name(expected), SimdLevel.V512, hasVnni: true).Level);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("auto")]
    public void Unset_or_auto_picks_the_hardware_best_and_vnni_where_present(string? text)
    {
        Assert.Equal(new SimdChoice(SimdLevel.V256, true, null), Simd.Resolve(text, SimdLevel.V256, hasVnni: true));
        Assert.Equal(new SimdChoice(SimdLevel.V128, false, null), Simd.Resolve(text, SimdLevel.V128, hasVnni: false));
    }

    [Theory]
    [InlineData("v512", SimdLevel.V256, SimdLevel.V256)]
    [InlineData("v512", SimdLevel.V128, SimdLevel.V128)]
    [InlineData("v256", SimdLevel.V128, SimdLevel.V128)]
    [InlineData("v128", SimdLevel.Scalar, SimdLevel.Scalar)]
    [InlineData("vnni", SimdLevel.V128, SimdLevel.V128)]
    public void A_level_the_cpu_lacks_is_clamped_with_a_one_line_warning(string text, SimdLevel hardware, SimdLevel expected)
    {
        var choice = Simd.Resolve(text, hardware, hasVnni: false);
        Assert.Equal(expected, choice.Level);
        Assert.False(choice.Vnni);
        Assert.NotNull(choice.Warning);
        Assert.DoesNotContain('\n', choice.Warning);
        Assert.Contains(text, choice.Warning);
        Assert.Contains($"running {Simd.Name(expected)}", choice.Warning);
    }

    [Fact]
    public void Unknown_text_warns_and_runs_the_hardware_best()
    {
        var choice = Simd.Resolve("avx9", SimdLevel.V256, hasVnni: false);
        Assert.Equal(SimdLevel.V256, choice.Level);
        Assert.Contains("avx9", choice.Warning);
        Assert.Contains("scalar|v128|v256|v512", choice.Warning);
    }

    [Fact]
    public void Vnni_is_v256_with_the_vnni_quant_path_and_plain_v256_turns_it_off()
    {
        Assert.Equal(new SimdChoice(SimdLevel.V256, true, null), Simd.Resolve("vnni", SimdLevel.V512, hasVnni: true));
        Assert.Equal(new SimdChoice(SimdLevel.V256, false, null), Simd.Resolve("v256", SimdLevel.V512, hasVnni: true));
        var lacking = Simd.Resolve("vnni", SimdLevel.V256, hasVnni: false);
        Assert.Equal(SimdLevel.V256, lacking.Level);
        Assert.False(lacking.Vnni);
        Assert.Contains("AVX-VNNI", lacking.Warning);
    }

    [Fact]
    public void Hardware_level_matches_what_the_runtime_accelerates()
    {
        Assert.True(Simd.IsSupported(SimdLevel.Scalar));
        Assert.Equal(Vector128.IsHardwareAccelerated, Simd.IsSupported(SimdLevel.V128));
        Assert.Equal(Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported, Simd.IsSupported(SimdLevel.V256));
        Assert.Equal(Vector512.IsHardwareAccelerated && Avx512BW.IsSupported, Simd.IsSupported(SimdLevel.V512));
        foreach (var level in Enum.GetValues<SimdLevel>())
            Assert.Equal(Simd.IsSupported(level) ? level : Simd.Hardware, Simd.Clamp(level));
    }

    [Fact]
    public void The_process_follows_TINYLM_SIMD_everywhere()
    {
        // CI runs the suite once per level with TINYLM_SIMD set; the level in force must be the one it asked for.
        var expected = Simd.Resolve(Environment.GetEnvironmentVariable(Simd.EnvironmentVariable), Simd.Hardware, AvxVnni.IsSupported);
        Assert.Equal(expected.Level, Simd.Level);
        Assert.Equal(expected.Warning, Simd.Warning);
        Assert.Equal(Simd.Level, GemmOptions.Default.Level);
        Assert.StartsWith(Simd.Name(Simd.Level) + " ", Gemm.DescribePath(false, false, 64, 64, 64));
    }

    [Fact]
    public void Force_sets_the_level_until_disposed_and_refuses_a_level_the_cpu_lacks()
    {
        var before = Simd.Level;
        foreach (var level in Enum.GetValues<SimdLevel>())
        {
            if (!Simd.IsSupported(level))
            {
                Assert.Throws<NotSupportedException>(() => Simd.Force(level));
                Assert.Equal(before, Simd.Level);
                continue;
            }
            using (Simd.Force(level))
            {
                Assert.Equal(level, Simd.Level);
                Assert.StartsWith(Simd.Name(level) + " ", Gemm.DescribePath(false, false, 64, 64, 64));
            }
            Assert.Equal(before, Simd.Level);
        }
    }
}
