namespace AutoGrad.Backends;

/// <summary>
/// Fused backward rules of activations, g·dy/dx in one pass: the operand s is the activation's output y
/// (<see cref="Sigmoid"/>, <see cref="Tanh"/>) or its input x (<see cref="Relu"/>).
/// </summary>
internal enum ActivationGradKind
{
    /// <summary>g · (y · (1 − y)).</summary>
    Sigmoid,

    /// <summary>g · (1 − y · y).</summary>
    Tanh,

    /// <summary>g · (x &gt; 0 ? 1 : 0).</summary>
    Relu,
}

/// <summary>Elementwise one-input kernels. <c>p0</c>/<c>p1</c> carry the parameters noted.</summary>
internal enum UnaryKernel
{
    Neg,
    Exp,
    Log,
    Sqrt,
    Abs,
    Sign,
    Tanh,
    Sigmoid,
    Relu,

    /// <summary>p0 = negative slope.</summary>
    LeakyRelu,

    /// <summary>p0 = alpha.</summary>
    Elu,
    Softplus,
    Gelu,
    Erf,
    Sin,
    Cos,

    /// <summary>p0 = exponent.</summary>
    PowScalar,

    /// <summary>p0 = lower bound, p1 = upper bound.</summary>
    Clamp,
}

/// <summary>Elementwise two-input kernels, broadcast through strides.</summary>
internal enum BinaryKernel
{
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Maximum,
    Minimum,
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
}

/// <summary>Reductions over the middle axis of an (outer, n, inner) view.</summary>
internal enum ReduceKernel
{
    Sum,
    Max,
    Min,
}

/// <summary>Index-returning reductions over the middle axis of an (outer, n, inner) view.</summary>
internal enum ArgReduceKernel
{
    ArgMax,
    ArgMin,
}
