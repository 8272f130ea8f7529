using System.Runtime.CompilerServices;
using AutoGrad.Ops;

namespace AutoGrad;

/// <summary>Elementwise math, comparisons and the arithmetic operators.</summary>
public sealed partial class Tensor
{
    private Tensor Unary(UnaryRow row, string file, int line, double p0 = 0, double p1 = 0) =>
        UnaryPrimitive.Apply(row, this, new CallSite(file, line), p0, p1);

    private Tensor Binary(BinaryRow row, Tensor other, string file, int line) =>
        BinaryPrimitive.Apply(row, this, other ?? throw new ArgumentNullException(nameof(other)), new CallSite(file, line));

    private Tensor Binary(BinaryRow row, double other, string file, int line) =>
        BinaryPrimitive.Apply(row, this, ScalarLike(other, this), new CallSite(file, line));

    /// <summary>−x.</summary>
    public Tensor Neg([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Unary(UnaryRows.Neg, file, line);

    /// <summary>eˣ.</summary>
    public Tensor Exp([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Unary(UnaryRows.Exp, file, line);

    /// <summary>Natural logarithm.</summary>
    public Tensor Log([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Unary(UnaryRows.Log, file, line);

    /// <summary>Square root.</summary>
    public Tensor Sqrt([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Unary(UnaryRows.Sqrt, file, line);

    /// <summary>|x|. The gradient at 0 is 0 (sign(0)).</summary>
    public Tensor Abs([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Unary(UnaryRows.Abs, file, line);

    /// <summary>−1, 0 or 1 by the sign of x, 0 for NaN (as PyTorch's <c>sign</c>). Carries no gradient.</summary>
    public Tensor Sign([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Unary(UnaryRows.Sign, file, line);

    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Unary(UnaryRows.Tanh, file, line);

    /// <summary>Logistic sigmoid 1/(1 + e^−x), computed without overflow.</summary>
    public Tensor Sigmoid([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Unary(UnaryRows.Sigmoid, file, line);

    /// <summary>max(x, 0). The gradient at 0 is 0.</summary>
    public Tensor Relu([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Unary(UnaryRows.Relu, file, line);

    /// <summary>x for x &gt; 0, <paramref name="negativeSlope"/>·x otherwise. The gradient at 0 is the slope.</summary>
    public Tensor LeakyRelu(double negativeSlope = 0.01, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Unary(UnaryRows.LeakyRelu, file, line, negativeSlope);

    /// <summary>x for x &gt; 0, α(eˣ − 1) otherwise.</summary>
    public Tensor Elu(double alpha = 1.0, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Unary(UnaryRows.Elu, file, line, alpha);

    /// <summary>log(1 + eˣ), computed stably for any x.</summary>
    public Tensor Softplus([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Unary(UnaryRows.Softplus, file, line);

    /// <summary>Gaussian error linear unit x·Φ(x), with the exact normal CDF (PyTorch's default).</summary>
    public Tensor Gelu([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Unary(UnaryRows.Gelu, file, line);

    /// <summary>The error function.</summary>
    public Tensor Erf([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Unary(UnaryRows.Erf, file, line);

    /// <summary>Sine.</summary>
    public Tensor Sin([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Unary(UnaryRows.Sin, file, line);

    /// <summary>Cosine.</summary>
    public Tensor Cos([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Unary(UnaryRows.Cos, file, line);

    /// <summary>xᵖ for a constant exponent.</summary>
    public Tensor Pow(double exponent, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Unary(UnaryRows.PowScalar, file, line, exponent);

    /// <summary>x^e elementwise with broadcasting; differentiable in both.</summary>
    public Tensor Pow(Tensor exponent, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Binary(BinaryRows.Pow, exponent, file, line);

    /// <summary>
    /// min(max(x, min), max). The gradient is 1 on [min, max] (bounds included) and 0 outside. As in PyTorch, min &gt; max
    /// is allowed and gives max everywhere, with gradient 0.
    /// </summary>
    public Tensor Clamp(double min, double max, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (double.IsNaN(min) || double.IsNaN(max))
        {
            throw new CallSite(file, line).Error("Clamp", $"needs bounds that are numbers, got [{min}, {max}]");
        }

        return Unary(UnaryRows.Clamp, file, line, min, max);
    }

    /// <summary>this + other, broadcasting.</summary>
    public Tensor Add(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.Add, other, file, line);

    /// <summary>this − other, broadcasting.</summary>
    public Tensor Sub(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.Sub, other, file, line);

    /// <summary>this · other elementwise, broadcasting.</summary>
    public Tensor Mul(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.Mul, other, file, line);

    /// <summary>this / other elementwise, broadcasting.</summary>
    public Tensor Div(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.Div, other, file, line);

    /// <summary>Elementwise maximum, broadcasting. At ties each input gets half the gradient.</summary>
    public Tensor Maximum(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.Maximum, other, file, line);

    /// <summary>Elementwise maximum with a constant.</summary>
    public Tensor Maximum(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.Maximum, other, file, line);

    /// <summary>Elementwise minimum, broadcasting. At ties each input gets half the gradient.</summary>
    public Tensor Minimum(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.Minimum, other, file, line);

    /// <summary>Elementwise minimum with a constant.</summary>
    public Tensor Minimum(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.Minimum, other, file, line);

    /// <summary>Mask (1/0 in this dtype) of this = other. No gradient.</summary>
    public Tensor Equal(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.Equal, other, file, line);

    /// <summary>Mask of this = other.</summary>
    public Tensor Equal(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.Equal, other, file, line);

    /// <summary>Mask of this ≠ other. No gradient.</summary>
    public Tensor NotEqual(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.NotEqual, other, file, line);

    /// <summary>Mask of this ≠ other.</summary>
    public Tensor NotEqual(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.NotEqual, other, file, line);

    /// <summary>Mask of this &lt; other. No gradient.</summary>
    public Tensor Less(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.Less, other, file, line);

    /// <summary>Mask of this &lt; other.</summary>
    public Tensor Less(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.Less, other, file, line);

    /// <summary>Mask of this ≤ other. No gradient.</summary>
    public Tensor LessEqual(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.LessEqual, other, file, line);

    /// <summary>Mask of this ≤ other.</summary>
    public Tensor LessEqual(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.LessEqual, other, file, line);

    /// <summary>Mask of this &gt; other. No gradient.</summary>
    public Tensor Greater(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.Greater, other, file, line);

    /// <summary>Mask of this &gt; other.</summary>
    public Tensor Greater(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.Greater, other, file, line);

    /// <summary>Mask of this ≥ other. No gradient.</summary>
    public Tensor GreaterEqual(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.GreaterEqual, other, file, line);

    /// <summary>Mask of this ≥ other.</summary>
    public Tensor GreaterEqual(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Binary(BinaryRows.GreaterEqual, other, file, line);

    /// <summary>
    /// Elementwise choice with broadcasting of all three: <paramref name="a"/> where
    /// <paramref name="condition"/> is non-zero, else <paramref name="b"/>. The condition (a mask from a
    /// comparison) carries no gradient.
    /// </summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return WherePrimitive.Apply(condition, a, b, new CallSite(file, line));
    }

    /// <summary>Converts to another dtype. Between float types the gradient converts back.</summary>
    public Tensor To(DType dtype, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        CastPrimitive.Apply(this, dtype, new CallSite(file, line));

    /// <summary>Elementwise sum with broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => BinaryPrimitive.Apply(BinaryRows.Add, a, b, CallSite.Unknown);

    /// <summary>Adds a constant.</summary>
    public static Tensor operator +(Tensor a, double b) => BinaryPrimitive.Apply(BinaryRows.Add, a, ScalarLike(b, a), CallSite.Unknown);

    /// <summary>Adds a constant.</summary>
    public static Tensor operator +(double a, Tensor b) => BinaryPrimitive.Apply(BinaryRows.Add, ScalarLike(a, b), b, CallSite.Unknown);

    /// <summary>Elementwise difference with broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => BinaryPrimitive.Apply(BinaryRows.Sub, a, b, CallSite.Unknown);

    /// <summary>Subtracts a constant.</summary>
    public static Tensor operator -(Tensor a, double b) => BinaryPrimitive.Apply(BinaryRows.Sub, a, ScalarLike(b, a), CallSite.Unknown);

    /// <summary>A constant minus a tensor.</summary>
    public static Tensor operator -(double a, Tensor b) => BinaryPrimitive.Apply(BinaryRows.Sub, ScalarLike(a, b), b, CallSite.Unknown);

    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => UnaryPrimitive.Apply(UnaryRows.Neg, a, CallSite.Unknown);

    /// <summary>Elementwise product with broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => BinaryPrimitive.Apply(BinaryRows.Mul, a, b, CallSite.Unknown);

    /// <summary>Scales by a constant.</summary>
    public static Tensor operator *(Tensor a, double b) => BinaryPrimitive.Apply(BinaryRows.Mul, a, ScalarLike(b, a), CallSite.Unknown);

    /// <summary>Scales by a constant.</summary>
    public static Tensor operator *(double a, Tensor b) => BinaryPrimitive.Apply(BinaryRows.Mul, ScalarLike(a, b), b, CallSite.Unknown);

    /// <summary>Elementwise quotient with broadcasting.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => BinaryPrimitive.Apply(BinaryRows.Div, a, b, CallSite.Unknown);

    /// <summary>Divides by a constant.</summary>
    public static Tensor operator /(Tensor a, double b) => BinaryPrimitive.Apply(BinaryRows.Div, a, ScalarLike(b, a), CallSite.Unknown);

    /// <summary>A constant divided by a tensor.</summary>
    public static Tensor operator /(double a, Tensor b) => BinaryPrimitive.Apply(BinaryRows.Div, ScalarLike(a, b), b, CallSite.Unknown);
}
