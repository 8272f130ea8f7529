namespace AutoGrad;

/// <summary>
/// Tensor ops as plain static functions, to pass where a <c>Func&lt;Tensor, Tensor&gt;</c> (or a function of two tensors) is
/// expected: <c>Grad(F.Tanh)</c>, <c>Vjp(F.Exp, x)</c>, <c>Jvp(F.Sin, x, v)</c>, <c>Tree.Map(p, F.Neg)</c>, as
/// <c>jnp.exp</c> in JAX or <c>torch.nn.functional</c>. Tensor's own methods cannot be method groups for these, because
/// each takes the caller's file and line as hidden optional parameters. An error in a function called from here names
/// the first line outside the library on the stack: the line that called the transformed function.
/// </summary>
public static class F
{
    /// <summary>−x.</summary>
    public static Tensor Neg(Tensor x) => x.Neg(string.Empty);

    /// <summary>eˣ.</summary>
    public static Tensor Exp(Tensor x) => x.Exp(string.Empty);

    /// <summary>The natural logarithm.</summary>
    public static Tensor Log(Tensor x) => x.Log(string.Empty);

    /// <summary>√x.</summary>
    public static Tensor Sqrt(Tensor x) => x.Sqrt(string.Empty);

    /// <summary>|x|.</summary>
    public static Tensor Abs(Tensor x) => x.Abs(string.Empty);

    /// <summary>−1, 0 or 1.</summary>
    public static Tensor Sign(Tensor x) => x.Sign(string.Empty);

    /// <summary>x².</summary>
    public static Tensor Square(Tensor x) => x.Pow(2.0, string.Empty);

    /// <summary>The hyperbolic tangent.</summary>
    public static Tensor Tanh(Tensor x) => x.Tanh(string.Empty);

    /// <summary>1 / (1 + e⁻ˣ).</summary>
    public static Tensor Sigmoid(Tensor x) => x.Sigmoid(string.Empty);

    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor x) => x.Relu(string.Empty);

    /// <summary>ln(1 + eˣ).</summary>
    public static Tensor Softplus(Tensor x) => x.Softplus(string.Empty);

    /// <summary>The exact (erf) GELU.</summary>
    public static Tensor Gelu(Tensor x) => x.Gelu(string.Empty);

    /// <summary>The error function.</summary>
    public static Tensor Erf(Tensor x) => x.Erf(string.Empty);

    /// <summary>The sine.</summary>
    public static Tensor Sin(Tensor x) => x.Sin(string.Empty);

    /// <summary>The cosine.</summary>
    public static Tensor Cos(Tensor x) => x.Cos(string.Empty);

    /// <summary>The sum of all elements (a scalar).</summary>
    public static Tensor Sum(Tensor x) => x.Sum(null, false, string.Empty);

    /// <summary>The mean of all elements (a scalar).</summary>
    public static Tensor Mean(Tensor x) => x.Mean(null, false, string.Empty);

    /// <summary>The largest element (a scalar).</summary>
    public static Tensor Max(Tensor x) => x.Max(null, false, string.Empty);

    /// <summary>Softmax over the last axis.</summary>
    public static Tensor Softmax(Tensor x) => x.Softmax(-1, string.Empty);

    /// <summary>Log-softmax over the last axis.</summary>
    public static Tensor LogSoftmax(Tensor x) => x.LogSoftmax(-1, string.Empty);

    /// <summary>log Σ eˣ over the last axis.</summary>
    public static Tensor LogSumExp(Tensor x) => x.LogSumExp(-1, false, string.Empty);

    /// <summary>a + b, broadcasting.</summary>
    public static Tensor Add(Tensor a, Tensor b) => a.Add(b, string.Empty);

    /// <summary>a − b, broadcasting.</summary>
    public static Tensor Sub(Tensor a, Tensor b) => a.Sub(b, string.Empty);

    /// <summary>a · b elementwise, broadcasting.</summary>
    public static Tensor Mul(Tensor a, Tensor b) => a.Mul(b, string.Empty);

    /// <summary>a / b, broadcasting.</summary>
    public static Tensor Div(Tensor a, Tensor b) => a.Div(b, string.Empty);

    /// <summary>aᵇ, broadcasting.</summary>
    public static Tensor Pow(Tensor a, Tensor b) => a.Pow(b, string.Empty);

    /// <summary>The larger of a and b, elementwise.</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => a.Maximum(b, string.Empty);

    /// <summary>The smaller of a and b, elementwise.</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => a.Minimum(b, string.Empty);

    /// <summary>The matrix product with NumPy's rules (vectors, batches).</summary>
    public static Tensor MatMul(Tensor a, Tensor b) => a.MatMul(b, string.Empty);
}
