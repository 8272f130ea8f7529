namespace AutoGrad.Backends.Recording;

/// <summary>
/// Fusion over a finished recording, before its buffers are planned: a call whose result only one later call reads is
/// merged into that call where the backend has a kernel for the pair, so the intermediate never goes to memory. A fused
/// call computes exactly what the pair did, bit for bit, so compiled and eager results stay identical.
/// </summary>
/// <remarks>
/// Two patterns, each a product read only by one elementwise call that the backend can apply to each finished tile:
/// <list type="bullet">
/// <item>an Axpby: an SGD step's p − lr·(xᵀ·δ), where the update of a 784×512 weight otherwise writes the gradient, then
/// reads it and the weight back (fused: about 2% of a batch-512 step, 7% at batch 32);</item>
/// <item>an ActivationGrad taking the product as its gradient: a hidden layer's backward rule δ·W2ᵀ ⊙ σ'(h), whose
/// product otherwise goes to memory only to be read back by the rule.</item>
/// </list>
/// </remarks>
internal static class KernelFusion
{
    /// <summary>The call output = op(a)·op(b)·α + y·β (<see cref="IBackend.MatMulAxpby"/>, the terms added in the recorded order) over slots.</summary>
    public static KernelCommand MatMulAxpby(int a, int b, int y, int output, MatMulCall product, double alpha, double beta, bool productFirst)
    {
        // The output may overwrite y (each element of y is read before the one over it is written), never a product operand.
        int[] elementwise = y == a || y == b ? [] : [y];
        return new KernelCommand(
            "MatMul+Axpby",
            [a, b, y],
            [output],
            (backend, s) => backend.MatMulAxpby(product.Batch, product.M, product.N, product.K, s[a], product.TransposeA, s[b], product.TransposeB, alpha, s[y], beta, productFirst, s[output]),
            elementwise);
    }

    /// <summary>
    /// The call output = ActivationGrad(kind, s, op(a)·op(b)) (<see cref="IBackend.MatMulActivationGrad"/>) over slots.
    /// </summary>
    public static KernelCommand MatMulActivationGrad(int a, int b, int s, int output, MatMulCall product, ActivationGradKind kind)
    {
        // As in MatMulAxpby: the output may overwrite s, never a product operand.
        int[] elementwise = s == a || s == b ? [] : [s];
        return new KernelCommand(
            $"MatMul+ActivationGrad {kind}",
            [a, b, s],
            [output],
            (backend, st) => backend.MatMulActivationGrad(product.Batch, product.M, product.N, product.K, st[a], product.TransposeA, st[b], product.TransposeB, kind, st[s], st[output]),
            elementwise);
    }

    /// <summary>
    /// The commands with each fusable pair replaced by one call at the second call's place, where <paramref name="backend"/>
    /// says the fused kernel pays for that shape (elsewhere fusing only keeps the product's operands alive longer).
    /// <paramref name="fused"/> counts the pairs merged.
    /// </summary>
    /// <param name="backend">The backend the program replays on.</param>
    /// <param name="commands">The recorded calls, in order.</param>
    /// <param name="slots">The recording's slots.</param>
    /// <param name="isOutput">The slots the program returns (never fused away).</param>
    /// <param name="fused">The number of pairs merged.</param>
    public static KernelCommand[] Fuse(IBackend backend, KernelCommand[] commands, List<SlotInfo> slots, bool[] isOutput, out int fused)
    {
        var readers = new int[slots.Count];
        var writers = new int[slots.Count];
        foreach (var command in commands)
        {
            foreach (int r in command.Reads.Distinct())
            {
                readers[r]++;
            }

            foreach (int w in command.Writes)
            {
                writers[w]++;
            }
        }

        var result = (KernelCommand?[])commands.Clone();
        fused = 0;
        for (int i = 0; i < commands.Length; i++)
        {
            if (commands[i].Call is not MatMulCall product || commands[i].Writes.Length != 1)
            {
                continue;
            }

            // The product must be an intermediate of this one call, read by exactly one later call.
            int value = commands[i].Writes[0];
            if (!slots[value].Allocated || isOutput[value] || writers[value] != 1 || readers[value] != 1 ||
                !backend.FusesMatMulEpilogue(slots[value].DType, product.Batch, product.M, product.N, product.K, product.TransposeA))
            {
                continue;
            }

            int j = Array.FindIndex(commands, i + 1, c => c.Reads.Contains(value));
            if (j < 0 || result[j] is not { } next || next.Writes.Length != 1)
            {
                continue;
            }

            // The second call, with the product as one of its two reads and the other read some other value.
            int other = next.Reads.Length == 2 && next.Reads[0] != next.Reads[1] ? next.Reads[next.Reads[0] == value ? 1 : 0] : -1;
            bool isAxpby = next.Call is AxpbyCall { SquareY: false };
            bool isActivationGrad = next.Call is ActivationGradCall && next.Reads.Length == 2 && next.Reads[1] == value && next.Reads[0] != value;
            if (other < 0 || !(isAxpby || isActivationGrad))
            {
                continue;
            }

            int a = commands[i].Reads[0], b = commands[i].Reads[1];
            int output = next.Writes[0];
            if (output == a || output == b || output == other || writers[output] != 1)
            {
                continue;
            }

            // The fused call runs where the second call did: the operands must still hold what the product read then.
            bool operandsKept = true;
            for (int c = i + 1; c < j && operandsKept; c++)
            {
                operandsKept = !commands[c].Writes.Contains(a) && !commands[c].Writes.Contains(b);
            }

            if (!operandsKept)
            {
                continue;
            }

            if (next.Call is AxpbyCall axpby)
            {
                // x·α + y·β with the product as x or as y: the fused call adds the two terms in that same order.
                bool productIsX = next.Reads[0] == value;
                var (productScale, yScale) = productIsX ? (axpby.Alpha, axpby.Beta) : (axpby.Beta, axpby.Alpha);
                result[j] = MatMulAxpby(a, b, other, output, product, productScale, yScale, productFirst: productIsX);
            }
            else
            {
                result[j] = MatMulActivationGrad(a, b, other, output, product, ((ActivationGradCall)next.Call!).Kind);
            }

            result[i] = null;
            fused++;
        }

        return result.Where(c => c is not null).ToArray()!;
    }
}
