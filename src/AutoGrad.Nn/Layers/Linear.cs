using System.Runtime.CompilerServices;
using AutoGrad.Nn.Init;

namespace AutoGrad.Nn.Layers;

/// <summary>
/// A dense layer y = xW + b, as a value (its sizes and initializers) plus two pure functions:
/// <see cref="Init"/> makes its parameters {W: [in, out], b: [out]}, <see cref="Apply"/> computes y from
/// parameters and input. No backward code: gradients come from <c>Grad</c>.
/// </summary>
public sealed class Linear
{
    /// <summary>Describes a dense layer; the weights default to Xavier-uniform and the bias to zeros.</summary>
    public Linear(int inFeatures, int outFeatures, Initializer? weightInit = null, Initializer? biasInit = null, bool bias = true)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear: sizes must be positive, got {inFeatures} → {outFeatures}");
        }

        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        WeightInit = weightInit ?? Initializers.XavierUniform();
        BiasInit = biasInit ?? Initializers.Zeros;
        HasBias = bias;
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>How W is drawn.</summary>
    public Initializer WeightInit { get; }

    /// <summary>How b is drawn.</summary>
    public Initializer BiasInit { get; }

    /// <summary>Whether the layer adds a bias.</summary>
    public bool HasBias { get; }

    /// <summary>The number of parameters: in·out (+ out with a bias).</summary>
    public int ParameterCount => InFeatures * OutFeatures + (HasBias ? OutFeatures : 0);

    /// <summary>Fresh parameters {W, b}.</summary>
    public TensorTree Init(Generator generator, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var p = new TensorTree { { "W", WeightInit([InFeatures, OutFeatures], generator, dtype) } };
        if (HasBias)
        {
            p.Add("b", BiasInit([OutFeatures], generator, dtype));
        }

        return p;
    }

    /// <summary>y = xW + b for x of shape [..., in]; the result has shape [..., out].</summary>
    public Tensor Apply(TensorTree parameters, Tensor x, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0 || x.Shape[-1] != InFeatures)
        {
            throw new TensorOpException("Linear", $"input {x.DType.Name()}{x.Shape} must end in {InFeatures} features (layer {InFeatures} → {OutFeatures})", file, line);
        }

        // With a bias, one fused op (the sums start from the bias, as torch's addmm): no second pass over y.
        return HasBias
            ? x.MatMulAdd(parameters["W"], parameters["b"], file, line)
            : x.MatMul(parameters["W"], file, line);
    }

    /// <inheritdoc/>
    public override string ToString() => $"Linear({InFeatures} → {OutFeatures}{(HasBias ? "" : ", no bias")})";
}
