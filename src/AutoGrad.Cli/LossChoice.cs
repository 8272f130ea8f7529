using AutoGrad.Nn.Losses;

namespace AutoGrad.Cli;

/// <summary>
/// Loss functions by name, matched to the kind of data: the names are the library's (<see cref="Loss.FromName"/>, Keras's
/// and the command line's own), plus <c>auto</c>, cross-entropy for classification and MSE for regression.
/// </summary>
internal static class LossChoice
{
    /// <summary>Every name <see cref="Parse"/> knows (whether it fits the data is checked there).</summary>
    public static IReadOnlyList<string> Names { get; } = ["auto", .. Loss.Names];

    /// <summary>
    /// The loss called <paramref name="name"/> for a classification or a regression set. The command's networks end in a
    /// linear layer, so a loss on probabilities (<c>binary_crossentropy</c>) is refused, as is a categorical cross-entropy
    /// on a regression set; a regression loss on a classification set compares the outputs with one-hot labels.
    /// </summary>
    public static Func<Tensor, Tensor, Tensor> Parse(string name, bool classification)
    {
        string lower = name.ToLowerInvariant();
        var loss = Loss.FromName(lower == "auto" ? (classification ? "cross-entropy" : "mse") : lower);
        if (loss.TakesClassLabels && !classification)
        {
            throw new CliException($"--loss {name} needs a classification dataset");
        }

        if (loss.FromLogits == false)
        {
            throw new CliException($"--loss {name} takes probabilities (fromLogits: false), but the command's networks end in a linear layer (logits); use cross-entropy");
        }

        return (o, y) => loss.Apply(o, y);
    }
}
