namespace AutoGrad.Autodiff;

/// <summary>
/// The machinery behind Linearize, Jacobian and Hessian: record the function once on a reverse trace, then
/// either pull cotangents back (rows of the Jacobian) or push tangents forward through the recorded JVP
/// rules (columns), whichever the shapes make cheaper.
/// </summary>
internal static class Linear
{
    /// <summary>Records f at x; returns the value and functions for J·v (push-forward) and Jᵀ·w (pullback).</summary>
    public static (Tensor Value, Func<Tensor, Tensor> PushForward, Func<Tensor, Tensor> Pullback) Record(string name, CallSite site, Func<Tensor, Tensor> f, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!x.DType.IsFloating())
        {
            throw site.Error(name, $"the input is {x.DType.Name()}{x.Shape}; only float32/float64 tensors can be differentiated");
        }

        var trace = new ReverseTrace(name);
        Tensor y;
        Tensor variable;
        try
        {
            variable = trace.NewVariable(x);
            y = f(variable) ?? throw site.Error(name, "the function returned null");
        }
        finally
        {
            trace.Close();
        }

        var value = Reverse.Lower(y, trace);
        Tensor PushForward(Tensor v)
        {
            ArgumentNullException.ThrowIfNull(v);
            if (v.Shape != x.Shape || v.DType != x.DType)
            {
                throw site.Error(name, $"the tangent must match the input {x.DType.Name()}{x.Shape}, got {v.DType.Name()}{v.Shape}");
            }

            return trace.PushForward(y, [variable], [v]);
        }

        Tensor Pullback(Tensor w)
        {
            ArgumentNullException.ThrowIfNull(w);
            if (w.Shape != value.Shape || w.DType != value.DType)
            {
                throw site.Error(name, $"the cotangent must match the output {value.DType.Name()}{value.Shape}, got {w.DType.Name()}{w.Shape}");
            }

            return trace.Backward(y, w, [variable])[0];
        }

        return (value, PushForward, Pullback);
    }

    /// <summary>The full Jacobian, shape out.shape + in.shape, by rows (reverse), columns (forward) or the cheaper of the two.</summary>
    public static Tensor Jacobian(string name, CallSite site, Func<Tensor, Tensor> f, Tensor x, JacobianMode mode)
    {
        var (value, push, pull) = Record(name, site, f, x);
        if (!value.DType.IsFloating())
        {
            throw site.Error(name, $"the function returned {value.DType.Name()}{value.Shape}; a Jacobian needs a float output");
        }

        int outSize = value.Size, inSize = x.Size;
        bool reverse = mode switch
        {
            JacobianMode.Reverse => true,
            JacobianMode.Forward => false,
            _ => outSize <= inSize, // one pass per output row or per input column: take the fewer
        };

        int[] shape = [.. value.Dims, .. x.Dims];
        if (outSize == 0 || inSize == 0)
        {
            return Tensor.Zeros(shape, x.DType, x.Device);
        }

        if (reverse)
        {
            var rows = new Tensor[outSize];
            for (int o = 0; o < outSize; o++)
            {
                rows[o] = pull(Basis(value, o)).Reshape([inSize]);
            }

            return Tensor.Stack(rows, 0).Reshape(shape);
        }

        var columns = new Tensor[inSize];
        for (int i = 0; i < inSize; i++)
        {
            columns[i] = push(Basis(x, i)).Reshape([outSize]);
        }

        return Tensor.Stack(columns, 1).Reshape(shape);
    }

    /// <summary>The i-th standard basis tensor with the shape and dtype of <paramref name="like"/>.</summary>
    private static Tensor Basis(Tensor like, int index)
    {
        var values = new double[like.Size];
        values[index] = 1;
        return Tensor.FromDoubles(values, like.Dims, like.DType, like.Device);
    }
}
