namespace AutoGrad.Backends;

/// <summary>
/// The kernel interface every device implements, in kernel words: allocate, copy with strides, map
/// elementwise, combine with broadcast strides, reduce, multiply matrices, gather and scatter.
/// Shapes are already validated by the ops above; kernels trust their arguments except for data-dependent
/// index ranges, which they report through <see cref="IndexRangeException"/>.
/// Every output storage is allocated by the caller (possibly reused from a pool) and fully written by the kernel,
/// except where a kernel says it needs a pre-zeroed buffer.
/// </summary>
internal interface IBackend
{
    /// <summary>A buffer, zero-filled when <paramref name="clear"/> is set; otherwise its contents are unspecified
    /// and the caller's kernel must write every element.</summary>
    TensorStorage Allocate(DType dtype, int length, bool clear = true);

    /// <summary>A buffer holding a copy of <paramref name="data"/> (float[], double[] or int[]).</summary>
    TensorStorage FromArray(Array data);

    /// <summary>Copies host elements (float, double or int, matching the storage's dtype) into <paramref name="dst"/>.</summary>
    void CopyFromHost<T>(ReadOnlySpan<T> src, TensorStorage dst)
        where T : unmanaged;

    /// <summary>A fresh host array (float[], double[] or int[]) holding the buffer's elements.</summary>
    Array ToArray(TensorStorage storage);

    /// <summary>Reads one element as a double.</summary>
    double GetElement(TensorStorage storage, int index);

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    void Fill(TensorStorage dst, double value);

    /// <summary>
    /// Converts elements between dtypes (same length); floats to int32 truncate toward zero, and one with no int32 value
    /// (NaN, infinite, out of range) throws <see cref="CastRangeException"/>.
    /// </summary>
    void Cast(TensorStorage src, TensorStorage dst);

    /// <summary>
    /// dst[dstOffset + Σ i_k·dstStrides_k] = src[srcOffset + Σ i_k·srcStrides_k] for every index i of
    /// <paramref name="shape"/>. Covers permute, broadcast (stride 0), slice, concat and pad.
    /// </summary>
    void StridedCopy(TensorStorage src, int srcOffset, int[] srcStrides, TensorStorage dst, int dstOffset, int[] dstStrides, int[] shape);

    /// <summary>y = f(x) elementwise over equal-length buffers.</summary>
    void Unary(UnaryKernel kernel, double p0, double p1, TensorStorage x, TensorStorage y);

    /// <summary>y[i] = f(a[i·aStrides], b[i·bStrides]) for every index i of <paramref name="shape"/>; y is contiguous.</summary>
    void Binary(BinaryKernel kernel, TensorStorage a, int[] aStrides, TensorStorage b, int[] bStrides, TensorStorage y, int[] shape);

    /// <summary>
    /// y[i] = f(a[i], b[i]) over all of y, where an operand flagged as a scalar is its element 0 for every i
    /// (the stride-free case of <see cref="Binary"/>: same shapes, or a tensor against one value).
    /// </summary>
    void BinaryFlat(BinaryKernel kernel, TensorStorage a, bool aScalar, TensorStorage b, bool bScalar, TensorStorage y);

    /// <summary>y[i] = cond[i] != 0 ? a[i] : b[i], all three read through broadcast strides; y is contiguous.</summary>
    void Where(TensorStorage cond, int[] condStrides, TensorStorage a, int[] aStrides, TensorStorage b, int[] bStrides, TensorStorage y, int[] shape);

    /// <summary>y[o, i] = reduce over j of x[o, j, i], x viewed as (outer, n, inner).</summary>
    void Reduce(ReduceKernel kernel, TensorStorage x, int outer, int n, int inner, TensorStorage y);

    /// <summary>y[o, i] = index j of the first maximum (minimum) of x[o, j, i]; y is int32.</summary>
    void ArgReduce(ArgReduceKernel kernel, TensorStorage x, int outer, int n, int inner, TensorStorage y);

    /// <summary>output = α·x + β·y (or α·x + β·y² when <paramref name="squareY"/>): same shapes, contiguous; computed as x·α + y·β.</summary>
    void Axpby(double alpha, TensorStorage x, double beta, TensorStorage y, bool squareY, TensorStorage output);

    /// <summary>
    /// output = x − (y·α) / (√z / γ + ε): the update of Adam, RMSprop and Adagrad; same shapes, contiguous. α and γ are
    /// one-element storages of any float dtype, read when the kernel runs (so a compiled step can compute them per step),
    /// then rounded to x's dtype.
    /// </summary>
    void AdaptiveStep(TensorStorage x, TensorStorage alpha, TensorStorage y, TensorStorage z, TensorStorage gamma, double eps, TensorStorage output);

    /// <summary>
    /// output = g · dy/dx of an activation, from its output y or input x (<paramref name="s"/>, see <see cref="ActivationGradKind"/>),
    /// computed as the composed ops would (dy/dx first, then the product with g); same shapes, contiguous.
    /// </summary>
    void ActivationGrad(ActivationGradKind kind, TensorStorage s, TensorStorage g, TensorStorage output);

    /// <summary>
    /// c[b] = op(a[b]) · op(b[b]) for b in 0..batch, where op transposes when asked. a is stored as
    /// (m×k) or, transposed, (k×m); b as (k×n) or (n×k); c is (m×n). All contiguous.
    /// </summary>
    void MatMul(int batch, int m, int n, int k, TensorStorage a, bool transposeA, TensorStorage b, bool transposeB, TensorStorage c);

    /// <summary>
    /// output = op(a)·op(b)·α + y·β: the product of <see cref="MatMul"/> followed by <see cref="Axpby"/> over it and y, with
    /// exactly their roundings, for compiled programs that fuse the two (an SGD update into its gradient's product). With
    /// <paramref name="productFirst"/> the Axpby was (α, product, β, y), else (β, y, α, product): the sum is added in that
    /// order, which decides which NaN survives when both terms are NaN. y and output have the product's shape and may be
    /// one buffer (an update in place); output aliases neither a nor b.
    /// </summary>
    void MatMulAxpby(int batch, int m, int n, int k, TensorStorage a, bool transposeA, TensorStorage b, bool transposeB, double alpha, TensorStorage y, double beta, bool productFirst, TensorStorage output);

    /// <summary>
    /// output = <see cref="ActivationGrad"/>(kind, s, op(a)·op(b)): the product of <see cref="MatMul"/> as the gradient g,
    /// with exactly the roundings of the two calls, for compiled programs that fuse them (an activation's backward rule
    /// into the product that brings its gradient). s and output have the product's shape and may be one buffer; output
    /// aliases neither a nor b.
    /// </summary>
    void MatMulActivationGrad(int batch, int m, int n, int k, TensorStorage a, bool transposeA, TensorStorage b, bool transposeB, ActivationGradKind kind, TensorStorage s, TensorStorage output);

    /// <summary>
    /// True when <see cref="MatMulAxpby"/> and <see cref="MatMulActivationGrad"/> save work over the two calls for this
    /// product (the backend applies the elementwise step to each finished tile while it is in cache), so that a compiled
    /// program fuses a pair only where it pays.
    /// </summary>
    bool FusesMatMulEpilogue(DType dtype, int batch, int m, int n, int k, bool transposeA);

    /// <summary>
    /// c = a · b + bias, the bias (n) added to every row: a is (m×k), b (k×n), c (m×n), all contiguous. A dense
    /// layer's forward (PyTorch's <c>addmm</c>), where the sums may start from the bias instead of taking a second pass.
    /// </summary>
    void MatMulAddRow(int m, int n, int k, TensorStorage a, TensorStorage b, TensorStorage bias, TensorStorage c);

    /// <summary>y[o, j, i] = x[o, idx[o, j, i], i] with x viewed as (outer, n, inner) and idx, y as (outer, m, inner).</summary>
    void Gather(TensorStorage x, TensorStorage indices, int outer, int n, int m, int inner, TensorStorage y);

    /// <summary>y[o, idx[o, j, i], i] += g[o, j, i]; y, pre-zeroed, is (outer, n, inner).</summary>
    void ScatterAdd(TensorStorage g, TensorStorage indices, int outer, int n, int m, int inner, TensorStorage y);

    /// <summary>y[r, labels[r]] = 1 for int32 labels; y, pre-zeroed, is (rows, classes).</summary>
    void OneHot(TensorStorage labels, int classes, TensorStorage y);

    /// <summary>
    /// Softmax cross-entropy of logits [rows, classes] against int32 labels [rows]: y[r] = log Σ_j e^(z[r, j] − m) −
    /// (z[r, label] − m), with m the row's maximum (0 when that is not finite). Throws
    /// <see cref="IndexRangeException"/> for a label outside [0, classes).
    /// </summary>
    void SoftmaxCrossEntropy(TensorStorage logits, TensorStorage labels, int rows, int classes, TensorStorage y);

    /// <summary>
    /// Its gradient scaled by a cotangent per row: y[r, j] = (softmax(z[r])[j] − [j = label[r]])·c[r], softmax taken as
    /// e^(z − m) / Σ e^(z − m). Throws <see cref="IndexRangeException"/> for a label outside [0, classes).
    /// </summary>
    void SoftmaxCrossEntropyGrad(TensorStorage logits, TensorStorage labels, TensorStorage c, int rows, int classes, TensorStorage y);
}

/// <summary>A kernel found a value in data that it cannot accept; the op turns it into a <see cref="TensorOpException"/>.</summary>
internal abstract class KernelDataException(string message) : Exception(message);

/// <summary>A kernel found an index outside [0, n) in data.</summary>
internal sealed class IndexRangeException(int index, int position, int limit)
    : KernelDataException($"index {index} at position {position} is outside [0, {limit})")
{
    public int Index { get; } = index;

    public int Position { get; } = position;

    public int Limit { get; } = limit;
}

/// <summary>A cast to int32 found a float with no int32 value.</summary>
internal sealed class CastRangeException(double value, int position)
    : KernelDataException($"element {position} is {value}, which has no int32 value")
{
    public double Value { get; } = value;

    public int Position { get; } = position;
}
