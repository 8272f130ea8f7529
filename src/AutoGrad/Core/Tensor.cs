using AutoGrad.Autodiff;
using AutoGrad.Backends;

namespace AutoGrad;

/// <summary>
/// An immutable n-dimensional array of <see cref="AutoGrad.DType"/> elements on a <see cref="AutoGrad.Device"/>,
/// the value every op takes and returns. Ops never modify a tensor; they return new ones.
/// </summary>
/// <remarks>
/// Inside a transform (<c>Transforms.Grad</c>, <c>Transforms.Jvp</c>, …) a tensor may be
/// <em>traced</em>: it then wraps a primal value and belongs to that transform's trace, which records
/// (reverse mode) or propagates tangents (forward mode). Traces nest, one level per transform, so that
/// derivatives of different levels never mix.
/// </remarks>
public sealed partial class Tensor
{
    private readonly int[] _shape;

    /// <summary>A concrete tensor over <paramref name="storage"/>, which it owns.</summary>
    internal Tensor(TensorStorage storage, int[] shape, Device device)
    {
        Storage = storage;
        _shape = shape;
        DType = storage.DType;
        Device = device;
    }

    /// <summary>A traced tensor: <paramref name="primal"/> seen through <paramref name="trace"/>.</summary>
    internal Tensor(Trace trace, Tensor primal, int nodeId, Tensor? tangent)
    {
        Trace = trace;
        Primal = primal;
        NodeId = nodeId;
        Tangent = tangent;
        _shape = primal._shape;
        DType = primal.DType;
        Device = primal.Device;
    }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>Where the elements live.</summary>
    public Device Device { get; }

    /// <summary>The dimensions, outermost first.</summary>
    public Shape Shape => Shape.Wrap(_shape);

    /// <summary>The number of dimensions (0 for a scalar).</summary>
    public int Rank => _shape.Length;

    /// <summary>The number of elements.</summary>
    public int Size => Shape.Size;

    /// <summary>True if this tensor is traced by an enclosing transform (its gradient is being taken).</summary>
    public bool IsTraced => Trace is not null;

    /// <summary>The backing storage, for concrete tensors only.</summary>
    internal TensorStorage? Storage { get; }

    /// <summary>The value this traced tensor wraps (one level down), or null when concrete.</summary>
    internal Tensor? Primal { get; }

    /// <summary>The trace this tensor belongs to, or null when concrete.</summary>
    internal Trace? Trace { get; }

    /// <summary>The tape node that produced this tensor, for reverse traces.</summary>
    internal int NodeId { get; }

    /// <summary>The tangent carried beside the primal, for forward traces.</summary>
    internal Tensor? Tangent { get; }

    internal int[] Dims => _shape;

    internal IBackend Backend => Device.Backend;

    /// <summary>The concrete value under every trace level.</summary>
    internal Tensor Concrete
    {
        get
        {
            var t = this;
            while (t.Primal is not null)
            {
                t = t.Primal;
            }

            return t;
        }
    }

    /// <summary>The concrete storage under every trace level.</summary>
    internal TensorStorage ConcreteStorage => Concrete.Storage!;
}
