namespace AutoGrad.Backends.Cpu;

/// <summary>Index arithmetic shared by the strided kernels.</summary>
internal static class StrideMath
{
    /// <summary>
    /// Merges adjacent dimensions that every operand walks contiguously (stride[i] = stride[i+1]·dim[i+1])
    /// and drops size-1 dimensions, so that the common contiguous case becomes one long inner loop.
    /// </summary>
    public static (int[] Dims, int[][] Strides) Coalesce(int[] shape, params int[][] strides)
    {
        var dims = new List<int>(shape.Length);
        var outStrides = new List<int>[strides.Length];
        for (int k = 0; k < strides.Length; k++)
        {
            outStrides[k] = new List<int>(shape.Length);
        }

        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1)
            {
                continue;
            }

            if (dims.Count > 0)
            {
                int last = dims.Count - 1;
                bool mergeable = true;
                for (int k = 0; k < strides.Length; k++)
                {
                    if (outStrides[k][last] != strides[k][i] * shape[i])
                    {
                        mergeable = false;
                        break;
                    }
                }

                if (mergeable)
                {
                    dims[last] *= shape[i];
                    for (int k = 0; k < strides.Length; k++)
                    {
                        outStrides[k][last] = strides[k][i];
                    }

                    continue;
                }
            }

            dims.Add(shape[i]);
            for (int k = 0; k < strides.Length; k++)
            {
                outStrides[k].Add(strides[k][i]);
            }
        }

        if (dims.Count == 0 && shape.Length > 0)
        {
            // All dimensions were 1 (or the shape is empty of size): keep one for the loops.
            bool empty = Array.IndexOf(shape, 0) >= 0;
            dims.Add(empty ? 0 : 1);
            for (int k = 0; k < strides.Length; k++)
            {
                outStrides[k].Add(1);
            }
        }

        var result = new int[strides.Length][];
        for (int k = 0; k < strides.Length; k++)
        {
            result[k] = outStrides[k].ToArray();
        }

        return (dims.ToArray(), result);
    }
}
