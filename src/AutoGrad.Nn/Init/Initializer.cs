namespace AutoGrad.Nn.Init;

/// <summary>
/// Makes a weight tensor of a shape, drawing from an explicit seeded generator. For a dense layer's
/// weight of shape [fanIn, fanOut] (y = xW + b), fan-in is the first dimension and fan-out the last.
/// </summary>
/// <param name="shape">The tensor's shape.</param>
/// <param name="generator">The random source; the same seed gives the same weights everywhere.</param>
/// <param name="dtype">The element type.</param>
public delegate Tensor Initializer(int[] shape, Generator generator, DType dtype);

/// <summary>The standard initializers (PyTorch's <c>torch.nn.init</c>, Keras's initializers).</summary>
public static class Initializers
{
    /// <summary>All zeros (biases).</summary>
    public static Initializer Zeros { get; } = (shape, _, dtype) => Tensor.Zeros(shape, dtype);

    /// <summary>N(0, std²): the classic <c>randn</c> scaled by <paramref name="std"/>.</summary>
    public static Initializer Normal(double std = 1.0) => (shape, g, dtype) => Tensor.RandomNormal(shape, g, dtype, 0, std);

    /// <summary>U(−a, a): uniform in a symmetric interval.</summary>
    public static Initializer Uniform(double a) => (shape, g, dtype) => Tensor.RandomUniform(shape, g, -a, a, dtype);

    /// <summary>Glorot/Xavier uniform: U(−a, a) with a = gain·√(6 / (fanIn + fanOut)) (<c>xavier_uniform_</c>).</summary>
    public static Initializer XavierUniform(double gain = 1.0) => (shape, g, dtype) =>
    {
        var (fanIn, fanOut) = Fans(shape);
        double a = gain * Math.Sqrt(6.0 / Math.Max(1, fanIn + fanOut));
        return Tensor.RandomUniform(shape, g, -a, a, dtype);
    };

    /// <summary>Glorot/Xavier normal: N(0, σ²) with σ = gain·√(2 / (fanIn + fanOut)) (<c>xavier_normal_</c>).</summary>
    public static Initializer XavierNormal(double gain = 1.0) => (shape, g, dtype) =>
    {
        var (fanIn, fanOut) = Fans(shape);
        return Tensor.RandomNormal(shape, g, dtype, 0, gain * Math.Sqrt(2.0 / Math.Max(1, fanIn + fanOut)));
    };

    /// <summary>He/Kaiming uniform for ReLU: U(−a, a) with a = gain·√(3 / fanIn), gain √2 (<c>kaiming_uniform_</c>, fan_in mode).</summary>
    public static Initializer HeUniform(double gain = 1.4142135623730951) => (shape, g, dtype) =>
    {
        var (fanIn, _) = Fans(shape);
        double a = gain * Math.Sqrt(3.0 / Math.Max(1, fanIn));
        return Tensor.RandomUniform(shape, g, -a, a, dtype);
    };

    /// <summary>He/Kaiming normal for ReLU: N(0, σ²) with σ = gain / √fanIn, gain √2 (<c>kaiming_normal_</c>, fan_in mode).</summary>
    public static Initializer HeNormal(double gain = 1.4142135623730951) => (shape, g, dtype) =>
    {
        var (fanIn, _) = Fans(shape);
        return Tensor.RandomNormal(shape, g, dtype, 0, gain / Math.Sqrt(Math.Max(1, fanIn)));
    };

    /// <summary>Fan-in and fan-out: [in, out] for matrices; for vectors both are the length.</summary>
    internal static (int FanIn, int FanOut) Fans(int[] shape) => shape.Length switch
    {
        0 => (1, 1),
        1 => (shape[0], shape[0]),
        _ => (shape[0], shape[^1]),
    };

    /// <summary>An initializer by name, for command lines: normal, xavier-uniform, xavier-normal, he-uniform, he-normal, zeros.</summary>
    public static Initializer Parse(string name) => name.ToLowerInvariant() switch
    {
        "normal" or "randn" => Normal(),
        "xavier-uniform" or "glorot-uniform" => XavierUniform(),
        "xavier-normal" or "glorot-normal" => XavierNormal(),
        "he-uniform" or "kaiming-uniform" => HeUniform(),
        "he-normal" or "kaiming-normal" => HeNormal(),
        "zeros" => Zeros,
        _ => throw new ArgumentException($"unknown initializer '{name}'; choose one of: normal, xavier-uniform, xavier-normal, he-uniform, he-normal, zeros", nameof(name)),
    };
}
