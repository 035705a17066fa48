using System.Runtime.Intrinsics;
using TinyLM.Kernels;

namespace TinyLM.Tests.Kernels.Quantized;

public class Int8Vector128Tests
{
    // The instruction-specific forms run on this CPU; the portable forms are what other CPUs run. Both must equal
    // the plain integer sums, over random inputs and the extremes of the quantizers' range.
    [Fact]
    public void Every_form_of_the_int8_dots_equals_the_integer_sums()
    {
        var rng = new Random(9);
        for (int trial = 0; trial < 2000; trial++)
        {
            var w = new sbyte[16];
            var a = new sbyte[16];
            for (int i = 0; i < 16; i++)
            {
                w[i] = trial < 2 ? (sbyte)(trial == 0 ? 127 : -127) : (sbyte)rng.Next(-127, 128);
                a[i] = trial < 2 ? (sbyte)-127 : (sbyte)rng.Next(-127, 128);
            }
            var expected = new int[4];
            for (int i = 0; i < 16; i++) expected[i / 4] += w[i] * a[i];
            var vw = Vector128.Create(w);
            var va = Vector128.Create(a);
            Assert.Equal(Vector128.Create(expected), Int8Vector128.Dot4(vw, va));
            Assert.Equal(Vector128.Create(expected), Int8Vector128.Dot4Portable(vw, va));

            var x = new short[8];
            var y = new short[8];
            for (int i = 0; i < 8; i++)
            {
                x[i] = (short)rng.Next(-255, 256);
                y[i] = (short)rng.Next(-128, 128);
            }
            var pairs = new int[4];
            for (int i = 0; i < 8; i++) pairs[i / 2] += x[i] * y[i];
            Assert.Equal(Vector128.Create(pairs), Int8Vector128.MultiplyAddAdjacent(Vector128.Create(x), Vector128.Create(y)));
            Assert.Equal(Vector128.Create(pairs), Int8Vector128.MultiplyAddAdjacentPortable(Vector128.Create(x), Vector128.Create(y)));
        }
    }
}
