namespace AutoGrad.Autodiff;

/// <summary>
/// Jacobians of functions between trees: the input's leaves are joined into one vector and the output's into another,
/// the existing tensor Jacobian (rows by reverse mode or columns by forward mode) runs once over that, and its blocks are
/// cut back out: ∂out_o/∂in_i with shape out_o.shape + in_i.shape. Differentiable like every Jacobian.
/// </summary>
internal static class TreeJacobian
{
    public static (object? Output, TreeWriter Outs, TreeWriter Ins, Tensor[][] Blocks) Compute(
        string name, CallSite site, Func<object?, object?> f, object? x, JacobianMode mode)
    {
        var flat = new TreeWriter?[1];
        var ins = TreeArgs.FlattenArg(name, site, [x], 0, flat);
        var inLeaves = ins.LeafList;
        if (inLeaves.Count == 0)
        {
            throw site.Error(name, "the input has no tensors to differentiate");
        }

        for (int i = 0; i < inLeaves.Count; i++)
        {
            if (!inLeaves[i].DType.IsFloating() || inLeaves[i].DType != inLeaves[0].DType)
            {
                throw site.Error(name, $"{TreeArgs.Describe(0, ins.PathList[i])} is {inLeaves[i].DType.Name()}{inLeaves[i].Shape}; a Jacobian needs float tensors of one dtype ({inLeaves[0].DType.Name()} here)");
            }
        }

        var inSizes = inLeaves.Select(t => t.Size).ToArray();
        var xFlat = Join(inLeaves);
        object? output = null;
        TreeWriter outs = null!;
        Tensor G(Tensor v)
        {
            var parts = inLeaves.Count == 1 ? [v] : v.Split(inSizes);
            var leaves = parts.Select((p, i) => p.Reshape(inLeaves[i].Shape)).ToArray();
            output = f(Tree.Rebuild(x, leaves));
            try
            {
                outs = Tree.Flatten(output);
            }
            catch (ArgumentException e)
            {
                throw site.Error(name, $"the function's result: {e.Message}");
            }

            if (outs.LeafList.Count == 0)
            {
                throw site.Error(name, "the function returned no tensors");
            }

            return Join(outs.LeafList);
        }

        var jacobian = Linear.Jacobian(name, site, G, xFlat, mode); // [M, N]
        var outSizes = outs.LeafList.Select(t => t.Size).ToArray();
        var rows = outs.LeafList.Count == 1 ? [jacobian] : jacobian.Split(outSizes, 0);
        var blocks = new Tensor[rows.Length][];
        for (int o = 0; o < rows.Length; o++)
        {
            var cols = inLeaves.Count == 1 ? [rows[o]] : rows[o].Split(inSizes, 1);
            blocks[o] = new Tensor[cols.Length];
            for (int i = 0; i < cols.Length; i++)
            {
                blocks[o][i] = cols[i].Reshape([.. outs.LeafList[o].Shape.ToArray(), .. inLeaves[i].Shape.ToArray()]);
            }
        }

        return (output, outs, ins, blocks);
    }

    private static Tensor Join(IReadOnlyList<Tensor> leaves) =>
        leaves.Count == 1 ? leaves[0].Reshape([leaves[0].Size]) : Tensor.Concat(leaves.Select(t => t.Reshape([t.Size])).ToArray());

    /// <summary>The blocks as a tree: for each output path, the input's structure (a TensorTree of TensorTrees).</summary>
    public static TensorTree Nested(TreeWriter outs, object? input, Tensor[][] blocks)
    {
        var result = new TensorTree();
        for (int o = 0; o < blocks.Length; o++)
        {
            Tree.AddAtPath(result, outs.PathList[o], Tree.ToTensorTree(Tree.Rebuild(input, blocks[o])));
        }

        return result;
    }
}
