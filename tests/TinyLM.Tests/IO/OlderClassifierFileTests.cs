using System.Text.Json;
using TinyLM.IO;

namespace TinyLM.Tests.IO;

/// <summary>Quantized classifier files written by an older build (see Fixtures/README.md) load and predict the same bits.</summary>
public class OlderClassifierFileTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "IO", "Fixtures", name);

    [Theory]
    [InlineData("bilstm-int8", "int8", 6)]
    [InlineData("bilstm-q4_0", "q4_0", 6)]
    [InlineData("bag-int8", "int8", 3)]
    public void A_quantized_file_from_before_layers_held_their_formats_predicts_what_it_did(string name, string type, int quantizedLayers)
    {
        var model = TextClassifierFile.Load(Fixture(name + ".tlm"));
        Assert.Equal(type, model.Quantization);
        Assert.Equal(quantizedLayers, model.NamedWeightFormats().Count());
        var texts = File.ReadLines(Fixture("r8-test-15.tsv")).Select(line => line.Split('\t', 2)[1]).ToArray();
        var expected = File.ReadLines(Fixture(name + ".expected.jsonl")).ToArray();
        Assert.Equal(texts.Length, expected.Length);
        var actual = model.PredictProbabilities(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            using var doc = JsonDocument.Parse(expected[i]);
            var probabilities = doc.RootElement.GetProperty("probabilities");
            // The older build printed each float's shortest round-trip form, so parsing gives back its exact bits.
            var want = model.Labels.Labels.Select(label => probabilities.GetProperty(label).GetSingle()).ToArray();
            Assert.Equal(want, actual[i]);
        }
    }
}
