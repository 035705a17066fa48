using System.Text.Json.Serialization;

namespace TinyLM.Models;

/// <summary>Image classifier architectures.</summary>
public enum ImageArch
{
    /// <summary>conv3×3(W1)-BN-ReLU-maxpool2, conv3×3(W2)-BN-ReLU-maxpool2, flatten, linear (≈20k weights at 28×28, W1 16, W2 32).</summary>
    CnnSmall,
}

/// <summary>Everything that fixes an image classifier's architecture and input preprocessing (training settings are in TrainOptions).</summary>
public sealed record ImageClassifierConfig
{
    /// <summary>Architecture.</summary>
    public ImageArch Arch { get; init; } = ImageArch.CnnSmall;
    /// <summary>Input channels (1 for grey images).</summary>
    public int Channels { get; init; } = 1;
    /// <summary>Input height in pixels.</summary>
    public int Height { get; init; } = 28;
    /// <summary>Input width in pixels.</summary>
    public int Width { get; init; } = 28;
    /// <summary>Number of classes.</summary>
    public int Classes { get; init; } = 10;
    /// <summary>Filters of the first convolution.</summary>
    public int Width1 { get; init; } = 16;
    /// <summary>Filters of the second convolution.</summary>
    public int Width2 { get; init; } = 32;
    /// <summary>Pixel value (0–1 scale) subtracted before the network; the training set's mean.</summary>
    public float PixelMean { get; init; }
    /// <summary>Pixel standard deviation (0–1 scale) divided by before the network; the training set's.</summary>
    public float PixelStd { get; init; } = 1f;
    /// <summary>Seed of the initial weights.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The spatial size after the two 2×2 max-pools.</summary>
    public (int H, int W) PooledSize => (Height / 2 / 2, Width / 2 / 2);

    /// <summary>Checks every field and says which one is wrong.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException($"ImageClassifierConfig: {message}");
        }
        Require(Enum.IsDefined(Arch), $"unknown Arch {Arch}.");
        Require(Channels is >= 1 and <= 64, $"Channels must be in [1, 64], got {Channels}.");
        Require(Height is >= 4 and <= 4096 && Width is >= 4 and <= 4096, $"Height and Width must be in [4, 4096] (two 2×2 pools), got {Height}×{Width}.");
        Require(Classes is >= 2 and <= 100_000, $"Classes must be in [2, 100000], got {Classes}.");
        Require(Width1 is >= 1 and <= 4096 && Width2 is >= 1 and <= 4096, $"Width1 and Width2 must be in [1, 4096], got {Width1} and {Width2}.");
        Require(float.IsFinite(PixelMean), $"PixelMean must be finite, got {PixelMean}.");
        Require(PixelStd > 0 && float.IsFinite(PixelStd), $"PixelStd must be positive, got {PixelStd}.");
    }
}

/// <summary>AOT-safe JSON for the image classifier's config (it travels inside the model file).</summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true, WriteIndented = false,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ImageClassifierConfig))]
public sealed partial class ImageModelsJsonContext : JsonSerializerContext;
