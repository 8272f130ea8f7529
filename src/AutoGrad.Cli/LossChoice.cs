using AutoGrad.Nn.Losses;

namespace AutoGrad.Cli;

/// <summary>Loss functions by name, matched to the kind of data.</summary>
internal static class LossChoice
{
    /// <summary>Every name <see cref="Parse"/> knows (whether it fits the data is checked there).</summary>
    public static readonly string[] Names = ["auto", "cross-entropy", "ce", "mse", "half-mse", "mae", "huber"];

    public static Func<Tensor, Tensor, Tensor> Parse(string name, bool classification) => ParseLower(name.ToLowerInvariant(), classification);

    private static Func<Tensor, Tensor, Tensor> ParseLower(string name, bool classification) => (name, classification) switch
    {
        ("auto", true) or ("cross-entropy", true) or ("ce", true) => (o, y) => Loss.CrossEntropy(o, y),
        ("auto", false) or ("mse", false) => (o, y) => Loss.MeanSquaredError(o, y),
        ("half-mse", false) => (o, y) => Loss.HalfMeanSquaredError(o, y),
        ("mae", false) => (o, y) => Loss.MeanAbsoluteError(o, y),
        ("huber", false) => (o, y) => Loss.Huber(o, y),
        ("mse" or "half-mse" or "mae" or "huber", true) => (o, y) => RegressionOnOneHot(name, o, y),
        ("cross-entropy" or "ce", false) => throw new CliException("--loss cross-entropy needs a classification dataset"),
        _ => throw new CliException($"unknown loss '{name}'; choose cross-entropy, mse, half-mse, mae or huber"),
    };

    /// <summary>A regression loss on a classification set compares the outputs with one-hot labels (the seeds' MSE networks).</summary>
    private static Tensor RegressionOnOneHot(string name, Tensor outputs, Tensor labels)
    {
        var targets = labels.OneHot(outputs.Shape[-1], outputs.DType);
        return name switch
        {
            "mse" => Loss.MeanSquaredError(outputs, targets),
            "half-mse" => Loss.HalfMeanSquaredError(outputs, targets),
            "mae" => Loss.MeanAbsoluteError(outputs, targets),
            _ => Loss.Huber(outputs, targets),
        };
    }
}
