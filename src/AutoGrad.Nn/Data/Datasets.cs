using System.Reflection;

namespace AutoGrad.Nn.Data;

/// <summary>The small built-in datasets: Iris, the truth tables, and the classic toy regression sets.</summary>
public static class Datasets
{
    private static readonly float[] TruthInputs = [0, 0, 0, 1, 1, 0, 1, 1];

    /// <summary>Fisher's Iris: 150 flowers, 4 measurements (cm), 3 species (setosa, versicolor, virginica).</summary>
    public static Dataset Iris()
    {
        using var stream = typeof(Datasets).Assembly.GetManifestResourceStream("AutoGrad.Nn.Data.iris.csv")
            ?? throw new InvalidOperationException("the embedded Iris data is missing from AutoGrad.Nn");
        using var reader = new StreamReader(stream);
        var lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return Csv.Parse(lines, "iris", target: "species");
    }

    /// <summary>XOR: [0,0]→0, [0,1]→1, [1,0]→1, [1,1]→0 (not linearly separable).</summary>
    public static Dataset Xor() => Dataset.Classification("xor", (float[])TruthInputs.Clone(), 2, [0, 1, 1, 0], ["0", "1"]);

    /// <summary>AND: only [1,1]→1.</summary>
    public static Dataset And() => Dataset.Classification("and", (float[])TruthInputs.Clone(), 2, [0, 0, 0, 1], ["0", "1"]);

    /// <summary>OR: all but [0,0]→1.</summary>
    public static Dataset Or() => Dataset.Classification("or", (float[])TruthInputs.Clone(), 2, [0, 1, 1, 1], ["0", "1"]);

    /// <summary>
    /// A two-input salary-style regression: years of experience (0–20) and education level (0–4) to a salary
    /// in thousands, 20 + 2.5·years + 6·level plus N(0, 2²) noise; <paramref name="count"/> rows drawn
    /// from <paramref name="generator"/>.
    /// </summary>
    public static Dataset Salary(int count, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var x = new float[count * 2];
        var y = new float[count];
        for (int i = 0; i < count; i++)
        {
            double years = Math.Round(20 * generator.NextDouble(), 1);
            int level = generator.NextInt(5);
            x[2 * i] = (float)years;
            x[2 * i + 1] = level;
            y[i] = (float)(20 + 2.5 * years + 6 * level + 2 * generator.NextNormal());
        }

        return Dataset.Regression("salary", x, 2, y, 1);
    }

    /// <summary>The fixed matrix of <see cref="LinearMap"/>.</summary>
    public static readonly double[,] LinearMapMatrix = { { 2.0, -1.0 }, { 0.5, 3.0 } };

    /// <summary>
    /// A 2-input, 2-output regression: inputs s ~ U(−1, 1)², targets t = A·s for the fixed 2×2 matrix
    /// <see cref="LinearMapMatrix"/> — the data of the classic JAX training example.
    /// </summary>
    public static Dataset LinearMap(int count, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var x = new float[count * 2];
        var y = new float[count * 2];
        for (int i = 0; i < count; i++)
        {
            double s0 = 2 * generator.NextDouble() - 1, s1 = 2 * generator.NextDouble() - 1;
            x[2 * i] = (float)s0;
            x[2 * i + 1] = (float)s1;
            y[2 * i] = (float)(LinearMapMatrix[0, 0] * s0 + LinearMapMatrix[0, 1] * s1);
            y[2 * i + 1] = (float)(LinearMapMatrix[1, 0] * s0 + LinearMapMatrix[1, 1] * s1);
        }

        return Dataset.Regression("linear-map", x, 2, y, 2);
    }
}
