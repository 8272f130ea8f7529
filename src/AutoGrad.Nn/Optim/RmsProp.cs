namespace AutoGrad.Nn.Optim;

/// <summary>
/// RMSprop: divide the gradient by a running root mean square of recent gradients; the same update as
/// PyTorch's <c>torch.optim.RMSprop</c>. For gradient g, parameter p and learning rate lr:
/// <code>
/// g = g + weightDecay·p
/// s = alpha·s + (1 − alpha)·g²
/// a = alpha·a + (1 − alpha)·g,  avg = √(s − a²) + eps     (centered)
///                               avg = √s + eps            (otherwise)
/// b = momentum·b + g / avg,  p = p − lr·b                 (momentum &gt; 0)
/// p = p − lr·g / avg                                      (otherwise)
/// </code>
/// State: <c>{"step": int32 scalar, "square_avg": tree, "grad_avg": tree, "momentum": tree}</c>, each tree
/// laid out like the parameters; <c>grad_avg</c> only when centered, <c>momentum</c> only when momentum &gt; 0.
/// </summary>
public sealed class RmsProp : IOptimizer
{
    private const string Owner = nameof(RmsProp);
    private const string SquareAvgKey = "square_avg";
    private const string GradAvgKey = "grad_avg";
    private const string MomentumKey = "momentum";

    /// <summary>Creates RMSprop with a constant learning rate (PyTorch's defaults throughout).</summary>
    /// <inheritdoc cref="RmsProp(Schedule, double, double, double, bool, double)" path="/param"/>
    public RmsProp(double learningRate = 0.01, double alpha = 0.99, double eps = 1e-8, double momentum = 0, bool centered = false, double weightDecay = 0)
        : this(Hyper.Rate(Owner, learningRate), alpha, eps, momentum, centered, weightDecay)
    {
    }

    /// <summary>Creates RMSprop whose learning rate follows a schedule, evaluated at the optimizer's step counter.</summary>
    /// <param name="learningRate">Step size lr (PyTorch <c>lr</c>, default 0.01), constant or a schedule.</param>
    /// <param name="alpha">Smoothing constant of the running averages (PyTorch <c>alpha</c>, default 0.99); in [0, 1).</param>
    /// <param name="eps">Added to the root mean square for numerical stability (PyTorch <c>eps</c>, default 1e-8); finite and ≥ 0.</param>
    /// <param name="momentum">Momentum factor applied to the normalised step (PyTorch <c>momentum</c>, default 0); finite and ≥ 0.</param>
    /// <param name="centered">Normalise by an estimate of the gradient's variance rather than its second moment (PyTorch <c>centered</c>, default false).</param>
    /// <param name="weightDecay">L2 penalty added to the gradient as weightDecay·p (PyTorch <c>weight_decay</c>, default 0); finite and ≥ 0.</param>
    public RmsProp(Schedule learningRate, double alpha = 0.99, double eps = 1e-8, double momentum = 0, bool centered = false, double weightDecay = 0)
    {
        LearningRate = Hyper.Rate(Owner, learningRate);
        Alpha = Hyper.UnitIntervalOpen(Owner, nameof(alpha), alpha);
        Eps = Hyper.NonNegative(Owner, nameof(eps), eps);
        Momentum = Hyper.NonNegative(Owner, nameof(momentum), momentum);
        Centered = centered;
        WeightDecay = Hyper.NonNegative(Owner, nameof(weightDecay), weightDecay);
    }

    /// <summary>The learning-rate schedule.</summary>
    public Schedule LearningRate { get; }

    /// <summary>The smoothing constant of the running averages.</summary>
    public double Alpha { get; }

    /// <summary>The term added to the root mean square.</summary>
    public double Eps { get; }

    /// <summary>The momentum factor (0: no momentum buffers).</summary>
    public double Momentum { get; }

    /// <summary>True for centered RMSprop.</summary>
    public bool Centered { get; }

    /// <summary>The L2 weight-decay coefficient.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc/>
    public string Name => "rmsprop";

    /// <inheritdoc/>
    public TensorTree Init(TensorTree parameters)
    {
        OptimizerState.CheckParameters(Owner, "Init", parameters);
        var state = new TensorTree
        {
            { OptimizerState.StepKey, OptimizerState.StepTensor(0, OptimizerState.DeviceOf(parameters)) },
            { SquareAvgKey, parameters.Map(Tensor.ZerosLike) },
        };
        if (Centered)
        {
            state.Add(GradAvgKey, parameters.Map(Tensor.ZerosLike));
        }

        if (Momentum > 0)
        {
            state.Add(MomentumKey, parameters.Map(Tensor.ZerosLike));
        }

        return state;
    }

    /// <inheritdoc/>
    public (TensorTree Parameters, TensorTree State) Update(TensorTree gradients, TensorTree state, TensorTree parameters) =>
        Update(gradients, state, parameters, Donation.None);

    /// <inheritdoc />
    public (TensorTree Parameters, TensorTree State) Update(TensorTree gradients, TensorTree state, TensorTree parameters, Donation donate)
    {
        var (step, lr) = OptimizerState.BeginUpdate(Owner, LearningRate, gradients, state, parameters, readStep: false);
        var squareAvg = OptimizerState.Slot(Owner, state, SquareAvgKey, parameters);
        var gradAvg = Centered ? OptimizerState.Slot(Owner, state, GradAvgKey, parameters) : null;
        var buffers = Momentum > 0 ? OptimizerState.Slot(Owner, state, MomentumKey, parameters) : null;

        var p = OptimizerState.LeafValues(parameters);
        var g = OptimizerState.LeafValues(gradients);
        var newP = new Tensor[p.Length];
        var newS = new Tensor[p.Length];
        var newA = new Tensor[p.Length];
        var newB = new Tensor[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            var grad = WeightDecay != 0 ? Tensor.Axpby(1, g[i], WeightDecay, p[i]) : g[i];
            newS[i] = Tensor.AxpbySquare(Alpha, OptimizerState.Last(squareAvg[i], donate, Donation.State), 1 - Alpha, grad);
            Tensor avg;
            if (gradAvg is not null)
            {
                newA[i] = Tensor.Axpby(Alpha, OptimizerState.Last(gradAvg[i], donate, Donation.State), 1 - Alpha, grad);
                avg = (newS[i] - newA[i] * newA[i]).Sqrt() + Eps;
            }
            else
            {
                avg = newS[i].Sqrt() + Eps;
            }

            if (buffers is not null)
            {
                newB[i] = OptimizerState.Last(buffers[i], donate, Donation.State) * Momentum + grad / avg;
                newP[i] = Tensor.Axpby(1, OptimizerState.Last(p[i], donate, Donation.Parameters), -lr, newB[i]);
            }
            else if (gradAvg is null)
            {
                newP[i] = Tensor.AdaptiveStep(OptimizerState.Last(p[i], donate, Donation.Parameters), lr, grad, newS[i], 1, Eps); // p − lr·g/(√s + ε) in one pass
            }
            else
            {
                newP[i] = OptimizerState.Last(p[i], donate, Donation.Parameters) - grad * lr / avg;
            }
        }

        var newState = new TensorTree
        {
            { OptimizerState.StepKey, OptimizerState.NextStep(Owner, state, step) },
            { SquareAvgKey, parameters.WithLeaves(newS) },
        };
        if (gradAvg is not null)
        {
            newState.Add(GradAvgKey, parameters.WithLeaves(newA));
        }

        if (buffers is not null)
        {
            newState.Add(MomentumKey, parameters.WithLeaves(newB));
        }

        return (parameters.WithLeaves(newP), newState);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"RmsProp(lr: {LearningRate}, alpha: {Alpha}, eps: {Eps}, momentum: {Momentum}, centered: {Centered}, weightDecay: {WeightDecay})";
}
