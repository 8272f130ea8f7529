using System.Globalization;
using AutoGrad.Nn.Optim;

namespace AutoGrad.Cli;

/// <summary>
/// What <c>autograd train</c> uses for the options not given, per dataset: each built-in dataset's defaults reach a good
/// model with the default SGD and sigmoid hidden layer (MNIST about 92 % test accuracy in 5 epochs; Iris at least 95 %
/// training accuracy in 200; XOR, AND and OR every row right in 1000 full-batch epochs at rate 2, where 5 epochs at 0.1
/// stopped Iris at 76 %). A CSV file gets MNIST's, a starting point for data the command knows nothing about. Long runs
/// write their checkpoint less often than every epoch (a thousand checkpoint files for XOR took ten times its training).
/// </summary>
/// <param name="Epochs">The epoch limit.</param>
/// <param name="Batch">The batch size.</param>
/// <param name="LearningRate">The learning rate with the default optimizer, SGD.</param>
/// <param name="CheckpointEvery">Epochs between checkpoints.</param>
internal sealed record TrainDefaults(int Epochs, int Batch, double LearningRate, int CheckpointEvery)
{
    /// <summary>The optimizer the learning rates are tuned for.</summary>
    public const string Optimizer = "sgd";

    private static readonly (string[] Datasets, TrainDefaults Defaults)[] Table =
    [
        (["mnist", "csv"], new TrainDefaults(5, 64, 0.1, 1)),
        (["iris"], new TrainDefaults(200, 16, 0.1, 10)),
        (["xor", "and", "or"], new TrainDefaults(1000, 4, 2.0, 100)),
    ];

    /// <summary>The defaults of <paramref name="dataset"/> (MNIST's for a name the table does not have; it is checked when the data loads).</summary>
    public static TrainDefaults For(string dataset)
    {
        string lower = dataset.ToLowerInvariant();
        return Table.FirstOrDefault(row => row.Datasets.Contains(lower)).Defaults ?? Table[0].Defaults;
    }

    /// <summary>
    /// The learning rate when <c>--lr</c> is not given: the dataset's with SGD, else the optimizer's own default (Keras's,
    /// <see cref="Optimizers.DefaultLearningRate"/>: 0.001 for Adam), since a rate tuned for SGD is far too large for it.
    /// </summary>
    public double LearningRateFor(string optimizer) =>
        string.Equals(optimizer, Optimizer, StringComparison.OrdinalIgnoreCase) ? LearningRate : Optimizers.DefaultLearningRate(optimizer);

    /// <summary>A field's defaults for --help, e.g. "5 for mnist/csv, 200 for iris, 1000 for xor/and/or".</summary>
    public static string Describe(Func<TrainDefaults, double> field) =>
        string.Join(", ", Table.GroupBy(row => field(row.Defaults))
            .Select(g => $"{g.Key.ToString(CultureInfo.InvariantCulture)} for {string.Join("/", g.SelectMany(row => row.Datasets))}"));
}
