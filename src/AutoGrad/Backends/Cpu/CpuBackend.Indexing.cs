using System.Numerics;

namespace AutoGrad.Backends.Cpu;

/// <summary>Gather, scatter-add and one-hot: the integer-indexed kernels.</summary>
internal sealed partial class CpuBackend
{
    public void Gather(TensorStorage x, TensorStorage indices, int outer, int n, int m, int inner, TensorStorage y)
    {
        var idx = Data<int>(indices);
        switch (x)
        {
            case CpuStorage<float> f: GatherImpl(f.Data, idx, outer, n, m, inner, Data<float>(y)); break;
            case CpuStorage<double> d: GatherImpl(d.Data, idx, outer, n, m, inner, Data<double>(y)); break;
            case CpuStorage<int> i: GatherImpl(i.Data, idx, outer, n, m, inner, Data<int>(y)); break;
        }
    }

    private static void GatherImpl<T>(T[] x, int[] idx, int outer, int n, int m, int inner, T[] y)
        where T : unmanaged
    {
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < m; j++)
            {
                int row = (o * m + j) * inner;
                for (int i = 0; i < inner; i++)
                {
                    int t = idx[row + i];
                    if ((uint)t >= (uint)n)
                    {
                        throw new IndexRangeException(t, row + i, n);
                    }

                    y[row + i] = x[(o * n + t) * inner + i];
                }
            }
        }
    }

    public void ScatterAdd(TensorStorage g, TensorStorage indices, int outer, int n, int m, int inner, TensorStorage y)
    {
        var idx = Data<int>(indices);
        switch (g)
        {
            case CpuStorage<float> f: ScatterAddImpl(f.Data, idx, outer, n, m, inner, Data<float>(y)); break;
            case CpuStorage<double> d: ScatterAddImpl(d.Data, idx, outer, n, m, inner, Data<double>(y)); break;
            default: throw new NotSupportedException($"scatter-add on {g.DType.Name()}");
        }
    }

    private static void ScatterAddImpl<T>(T[] g, int[] idx, int outer, int n, int m, int inner, T[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < m; j++)
            {
                int row = (o * m + j) * inner;
                for (int i = 0; i < inner; i++)
                {
                    int t = idx[row + i];
                    if ((uint)t >= (uint)n)
                    {
                        throw new IndexRangeException(t, row + i, n);
                    }

                    y[(o * n + t) * inner + i] += g[row + i];
                }
            }
        }
    }

    public void OneHot(TensorStorage labels, int classes, TensorStorage y)
    {
        var l = Data<int>(labels);
        switch (y)
        {
            case CpuStorage<float> f: OneHotImpl(l, classes, f.Data); break;
            case CpuStorage<double> d: OneHotImpl(l, classes, d.Data); break;
            case CpuStorage<int> i: OneHotImpl(l, classes, i.Data); break;
        }
    }

    private static void OneHotImpl<T>(int[] labels, int classes, T[] y)
        where T : unmanaged, INumberBase<T>
    {
        for (int r = 0; r < labels.Length; r++)
        {
            int t = labels[r];
            if ((uint)t >= (uint)classes)
            {
                throw new IndexRangeException(t, r, classes);
            }

            y[r * classes + t] = T.One;
        }
    }
}
