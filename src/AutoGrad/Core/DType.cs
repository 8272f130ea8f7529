namespace AutoGrad;

/// <summary>The element type of a <see cref="Tensor"/>.</summary>
public enum DType
{
    /// <summary>32-bit IEEE 754 floating point (<see cref="float"/>).</summary>
    Float32,

    /// <summary>64-bit IEEE 754 floating point (<see cref="double"/>).</summary>
    Float64,

    /// <summary>
    /// 32-bit signed integer (<see cref="int"/>). Used for indices and class labels
    /// (<see cref="Tensor.TakeAlongAxis"/>, <see cref="Tensor.OneHot"/>, <see cref="Tensor.ArgMax"/>);
    /// arithmetic and differentiable ops require a floating dtype.
    /// </summary>
    Int32,
}

/// <summary>Helpers for <see cref="DType"/>.</summary>
public static class DTypeExtensions
{
    /// <summary>True for <see cref="DType.Float32"/> and <see cref="DType.Float64"/>.</summary>
    public static bool IsFloating(this DType dtype) => dtype is DType.Float32 or DType.Float64;

    /// <summary>The lower-case name used in messages and <see cref="Tensor.ToString()"/>: float32, float64, int32.</summary>
    public static string Name(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Int32 => "int32",
        _ => dtype.ToString(),
    };
}
