namespace AutoGrad.Nn.Losses;

/// <summary>How a loss combines its per-element (or per-sample) values.</summary>
public enum Reduction
{
    /// <summary>The average (the default).</summary>
    Mean,

    /// <summary>The total.</summary>
    Sum,
}
