namespace AutoGrad.Nn.Optim;

/// <summary>
/// The update Adam and AdamW share; they differ only in how weight decay enters (added to the gradient,
/// or applied to the parameters directly). Follows PyTorch's single-tensor implementation step by step.
/// </summary>
internal sealed class AdamCore(string owner, Schedule learningRate, double beta1, double beta2, double eps, double weightDecay, bool decoupled, bool amsgrad)
{
    public const string MKey = "m";
    public const string VKey = "v";
    public const string VMaxKey = "v_max";

    public TensorTree Init(TensorTree parameters)
    {
        OptimizerState.CheckParameters(owner, "Init", parameters);
        var state = new TensorTree
        {
            { OptimizerState.StepKey, OptimizerState.StepTensor(0, OptimizerState.DeviceOf(parameters)) },
            { MKey, parameters.Map(Tensor.ZerosLike) },
            { VKey, parameters.Map(Tensor.ZerosLike) },
        };
        if (amsgrad)
        {
            state.Add(VMaxKey, parameters.Map(Tensor.ZerosLike));
        }

        return state;
    }

    public (TensorTree Parameters, TensorTree State) Update(TensorTree gradients, TensorTree state, TensorTree parameters, Donation donate)
    {
        // The step counter stays a tensor (read back only for a learning-rate schedule), so that a compiled step can replay
        // the update: the bias corrections are 0-d float64 tensor ops, the roundings of lr / (1 − β₁ᵗ) and √(1 − β₂ᵗ) in double.
        var (step, lr) = OptimizerState.BeginUpdate(owner, learningRate, gradients, state, parameters, readStep: false);
        var m = OptimizerState.Slot(owner, state, MKey, parameters);
        var v = OptimizerState.Slot(owner, state, VKey, parameters);
        var vMax = amsgrad ? OptimizerState.Slot(owner, state, VMaxKey, parameters) : null;

        var t = OptimizerState.UpdateNumber(owner, state);
        var stepSize = lr / OptimizerState.BiasCorrection(beta1, t);
        var biasCorrection2Sqrt = OptimizerState.BiasCorrection(beta2, t).Sqrt();

        var p = OptimizerState.LeafValues(parameters);
        var g = OptimizerState.LeafValues(gradients);
        var newP = new Tensor[p.Length];
        var newM = new Tensor[p.Length];
        var newV = new Tensor[p.Length];
        var newVMax = new Tensor[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            var param = p[i];
            var grad = g[i];
            if (weightDecay != 0)
            {
                if (decoupled)
                {
                    param = OptimizerState.Last(param, donate, Donation.Parameters) * (1 - lr * weightDecay);
                }
                else
                {
                    grad = Tensor.Axpby(1, grad, weightDecay, param);
                }
            }

            newM[i] = Tensor.Axpby(beta1, OptimizerState.Last(m[i], donate, Donation.State), 1 - beta1, grad);
            newV[i] = Tensor.AxpbySquare(beta2, OptimizerState.Last(v[i], donate, Donation.State), 1 - beta2, grad);
            Tensor second = newV[i];
            if (vMax is not null)
            {
                newVMax[i] = OptimizerState.Last(vMax[i], donate, Donation.State).Maximum(newV[i]);
                second = newVMax[i];
            }

            // One pass each for m, v and the step, where the composition took thirteen.
            newP[i] = Tensor.AdaptiveStep(OptimizerState.Last(param, donate, Donation.Parameters), stepSize, newM[i], second, biasCorrection2Sqrt, eps);
        }

        var newState = new TensorTree
        {
            { OptimizerState.StepKey, OptimizerState.NextStep(owner, state, step) },
            { MKey, parameters.WithLeaves(newM) },
            { VKey, parameters.WithLeaves(newV) },
        };
        if (vMax is not null)
        {
            newState.Add(VMaxKey, parameters.WithLeaves(newVMax));
        }

        return (parameters.WithLeaves(newP), newState);
    }
}
