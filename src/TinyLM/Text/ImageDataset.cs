namespace TinyLM.Text;

/// <summary>
/// Labelled images held as bytes (0–255), NCHW: image i is <see cref="Pixels"/>[i·C·H·W .. (i+1)·C·H·W), its class
/// <see cref="Labels"/>[i] in [0, <see cref="Classes"/>).
/// </summary>
public sealed class ImageDataset
{
    public ImageDataset(string source, int channels, int height, int width, byte[] pixels, int[] labels, int classes)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        if (channels <= 0 || height <= 0 || width <= 0) throw new ArgumentException($"{source}: image size {channels}×{height}×{width} must be positive.");
        if (pixels.LongLength != (long)labels.Length * channels * height * width)
            throw new ArgumentException($"{source}: {pixels.LongLength} pixel bytes for {labels.Length} images of {channels}×{height}×{width}.");
        foreach (int label in labels)
            if ((uint)label >= (uint)classes) throw new ArgumentException($"{source}: label {label} is not in [0, {classes}).");
        (Source, Channels, Height, Width, Pixels, Labels, Classes) = (source, channels, height, width, pixels, labels, classes);
    }

    public string Source { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public byte[] Pixels { get; }
    public int[] Labels { get; }
    public int Classes { get; }
    public int Count => Labels.Length;
    public int ImageSize => Channels * Height * Width;

    /// <summary>
    /// An IDX image file (N, H, W) or (N, H, W, C) with an IDX label file (N); the counts must agree. Classes are
    /// 1 + the largest label (at least <paramref name="minClasses"/>).
    /// </summary>
    public static ImageDataset ReadIdx(string imagesPath, string labelsPath, int minClasses = 0)
    {
        var images = IdxFile.Read(imagesPath);
        var labels = IdxFile.Read(labelsPath);
        if (images.Dims.Length is not (3 or 4))
            throw new DataFormatException(imagesPath, 0, $"expected images of shape (N, H, W) or (N, H, W, C), found ({string.Join(", ", images.Dims)}).");
        if (labels.Dims.Length != 1)
            throw new DataFormatException(labelsPath, 0, $"expected labels of shape (N), found ({string.Join(", ", labels.Dims)}).");
        if (labels.Count != images.Count)
            throw new DataFormatException(labelsPath, 0, $"{labels.Count} labels for the {images.Count} images of {imagesPath}.");
        int h = images.Dims[1], w = images.Dims[2], c = images.Dims.Length == 4 ? images.Dims[3] : 1;
        if (h == 0 || w == 0 || c == 0)
            throw new DataFormatException(imagesPath, 0, $"images of {h}×{w}×{c} pixels; expected positive sizes.");
        var y = new int[labels.Count];
        int classes = minClasses;
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = labels.Data[i];
            classes = Math.Max(classes, y[i] + 1);
        }
        byte[] pixels = images.Data;
        if (c > 1)
        {
            // IDX stores channels last (HWC); the engine works on NCHW.
            pixels = new byte[images.Data.Length];
            int plane = h * w;
            for (int n = 0; n < images.Count; n++)
                for (int p = 0; p < plane; p++)
                    for (int ch = 0; ch < c; ch++)
                        pixels[(n * c + ch) * plane + p] = images.Data[(n * plane + p) * c + ch];
        }
        return new ImageDataset(imagesPath, c, h, w, pixels, y, classes);
    }
}
