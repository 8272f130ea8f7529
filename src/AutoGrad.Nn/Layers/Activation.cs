namespace AutoGrad.Nn.Layers;

/// <summary>
/// A named activation function: a plain differentiable function of a tensor (no derivative code), so
/// any of them can sit in a network trained by <c>Grad</c>. <see cref="Step"/> is the exception: the
/// perceptron's threshold has no gradient.
/// </summary>
public sealed class Activation
{
    private readonly Func<Tensor, Tensor> _f;

    private Activation(string name, Func<Tensor, Tensor> f)
    {
        Name = name;
        _f = f;
    }

    /// <summary>The name used on command lines and in saved models, e.g. <c>relu</c>.</summary>
    public string Name { get; }

    /// <summary>Logistic sigmoid 1/(1 + e^−x).</summary>
    public static Activation Sigmoid { get; } = new("sigmoid", x => x.Sigmoid());

    /// <summary>Hyperbolic tangent.</summary>
    public static Activation Tanh { get; } = new("tanh", x => x.Tanh());

    /// <summary>max(x, 0).</summary>
    public static Activation Relu { get; } = new("relu", x => x.Relu());

    /// <summary>Identity: a linear layer.</summary>
    public static Activation Linear { get; } = new("linear", x => x);

    /// <summary>x·σ(x), also called SiLU.</summary>
    public static Activation Swish { get; } = new("swish", x => x * x.Sigmoid());

    /// <summary>Gaussian error linear unit (exact).</summary>
    public static Activation Gelu { get; } = new("gelu", x => x.Gelu());

    /// <summary>log(1 + eˣ).</summary>
    public static Activation Softplus { get; } = new("softplus", x => x.Softplus());

    /// <summary>eˣ.</summary>
    public static Activation Exponential { get; } = new("exponential", x => x.Exp());

    /// <summary>Softmax over the last axis.</summary>
    public static Activation Softmax { get; } = new("softmax", x => x.Softmax(-1));

    /// <summary>The threshold unit: 1 where x ≥ 0, else 0. Carries no gradient (the perceptron's output).</summary>
    public static Activation Step { get; } = new("step", x => x.GreaterEqual(0.0));

    /// <summary>x for x &gt; 0, slope·x otherwise.</summary>
    public static Activation LeakyRelu(double negativeSlope = 0.01) => new($"leaky-relu({negativeSlope})", x => x.LeakyRelu(negativeSlope));

    /// <summary>x for x &gt; 0, α(eˣ − 1) otherwise.</summary>
    public static Activation Elu(double alpha = 1.0) => new($"elu({alpha})", x => x.Elu(alpha));

    /// <summary>The names <see cref="Parse"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["sigmoid", "tanh", "relu", "leaky-relu", "elu", "gelu", "softplus", "swish", "silu", "softmax", "exponential", "linear", "step"];

    /// <summary>Applies the activation.</summary>
    public Tensor Apply(Tensor x) => _f(x ?? throw new ArgumentNullException(nameof(x)));

    /// <summary>An activation by name (case-insensitive); see <see cref="Names"/>.</summary>
    public static Activation Parse(string name) => (name ?? "").ToLowerInvariant() switch
    {
        "sigmoid" => Sigmoid,
        "tanh" => Tanh,
        "relu" => Relu,
        "leaky-relu" or "leakyrelu" => LeakyRelu(),
        "elu" => Elu(),
        "gelu" => Gelu,
        "softplus" => Softplus,
        "swish" or "silu" => Swish,
        "softmax" => Softmax,
        "exponential" or "exp" => Exponential,
        "linear" or "identity" or "none" => Linear,
        "step" => Step,
        _ => throw new ArgumentException($"unknown activation '{name}'; choose one of: {string.Join(", ", Names)}", nameof(name)),
    };

    /// <inheritdoc/>
    public override string ToString() => Name;
}
