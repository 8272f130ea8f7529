namespace AutoGrad.Backends.Recording;

/// <summary>
/// One recorded kernel call: the slots it reads and writes (for planning buffer lifetimes) and the call itself,
/// taking the backend and the table of buffers by slot number, so that a replay binds other buffers to the same slots.
/// </summary>
/// <param name="Kernel">The kernel's name, for messages.</param>
/// <param name="Reads">The slots read.</param>
/// <param name="Writes">The slots written.</param>
/// <param name="Run">The call, over the backend and the buffers by slot number.</param>
/// <param name="ElementwiseReads">
/// The slots read only as element i to write element i of the output (all inputs of a unary, flat binary or fused
/// update kernel; none of a product's operands): the output may share a buffer with such an input of its length when
/// nothing reads that input afterwards.
/// </param>
/// <param name="Call">What the call computes, for the kernels a fusion pass looks for (<see cref="MatMulCall"/>,
/// <see cref="AxpbyCall"/>, <see cref="ActivationGradCall"/>); null for the others.</param>
internal sealed record KernelCommand(string Kernel, int[] Reads, int[] Writes, Action<IBackend, TensorStorage[]> Run, int[] ElementwiseReads, object? Call = null);

/// <summary>A recorded <see cref="IBackend.MatMul"/>: c = op(a)·op(b), a and b being the command's two reads.</summary>
internal sealed record MatMulCall(int Batch, int M, int N, int K, bool TransposeA, bool TransposeB);

/// <summary>A recorded <see cref="IBackend.Axpby"/>: output = x·α + y·β (or y² when <paramref name="SquareY"/>), x and y being the command's two reads.</summary>
internal sealed record AxpbyCall(double Alpha, double Beta, bool SquareY);

/// <summary>A recorded <see cref="IBackend.ActivationGrad"/>: output = g · dy/dx, s (the activation's output or input) and g being the command's two reads.</summary>
internal sealed record ActivationGradCall(ActivationGradKind Kind);
