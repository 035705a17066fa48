using TinyLM.Text;

namespace TinyLM.Tests.Text;

public class Windows1252Tests
{
    [Fact]
    public void Windows1252_maps_the_special_range_and_latin1()
    {
        Assert.Equal("€‚’“”–—™ éÿ\u0081", Windows1252.Decode([0x80, 0x82, 0x92, 0x93, 0x94, 0x96, 0x97, 0x99, 0x20, 0xE9, 0xFF, 0x81]));
    }
}
