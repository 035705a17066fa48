using TinyLM.Cli.Common;
using TinyLM.Text;

namespace TinyLM.Cli.Image;

/// <summary>
/// Turns an image-data argument into an IDX image file and its label file. Accepted forms: a dataset name
/// (<c>fashion-mnist</c>: the split's files, <c>train-*</c> for training and <c>t10k-*</c> for testing); a folder
/// holding <c>SPLIT-images-idx3-ubyte[.gz]</c> and <c>SPLIT-labels-idx1-ubyte[.gz]</c>; or the images file itself,
/// whose labels are the file of the same name with <c>labels-idx1</c> for <c>images-idx3</c>.
/// </summary>
public static class ImageDataArgument
{
    /// <summary>Class names of Fashion-MNIST, in label order (zalandoresearch/fashion-mnist README).</summary>
    public static readonly string[] FashionMnistLabels =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public static (string Images, string Labels, bool IsFashionMnist) Resolve(string value, string split, string? dataDir, string option)
    {
        string images;
        if (Directory.Exists(value))
        {
            images = FindInFolder(value, $"{split}-images-idx3-ubyte")
                ?? throw new CliError($"{option} {value}: the folder has no {split}-images-idx3-ubyte or {split}-images-idx3-ubyte.gz.");
        }
        else if (File.Exists(value))
        {
            images = Path.GetFullPath(value);
        }
        else
        {
            images = DatasetArgument.Resolve(value, $"{split}-images-idx3-ubyte.gz", dataDir);
        }
        string name = Path.GetFileName(images);
        if (!name.Contains("images-idx3", StringComparison.Ordinal))
            throw new CliError($"{option} {value}: expected an IDX images file named like {split}-images-idx3-ubyte (its labels beside it as {split}-labels-idx1-ubyte).");
        string labels = Path.Combine(Path.GetDirectoryName(images)!, name.Replace("images-idx3", "labels-idx1", StringComparison.Ordinal));
        if (!File.Exists(labels))
            throw new CliError($"{option} {value}: no labels file beside {images} (expected {labels}).");
        bool fashion = images.Contains("fashion-mnist", StringComparison.OrdinalIgnoreCase);
        return (images, labels, fashion);
    }

    /// <summary>Reads the images and labels; bad files fail with the file named (exit code 1).</summary>
    public static ImageDataset Read(string images, string labels) =>
        CliError.Check(() => ImageDataset.ReadIdx(images, labels), ExitCodes.BadInput);

    private static string? FindInFolder(string folder, string stem)
    {
        foreach (string candidate in new[] { stem, stem + ".gz" })
        {
            string path = Path.Combine(Path.GetFullPath(folder), candidate);
            if (File.Exists(path)) return path;
        }
        return null;
    }
}
