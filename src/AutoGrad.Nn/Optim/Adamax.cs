namespace AutoGrad.Nn.Optim;

/// <summary>
/// Adamax (Kingma and Ba, 2015, section 7.1): Adam with the second moment replaced by an exponentially
/// weighted infinity norm; the same update as PyTorch's <c>torch.optim.Adamax</c>. For gradient g,
/// parameter p, learning rate lr and step t (1 for the first update):
/// <code>
/// g = g + weightDecay·p
/// m = beta1·m + (1 − beta1)·g
/// u = max(beta2·u, |g| + eps)
/// p = p − lr / (1 − beta1ᵗ) · m / u
/// </code>
/// State: <c>{"step": int32 scalar, "m": tree, "u": tree}</c>, each tree laid out like the parameters.
/// </summary>
public sealed class Adamax : IOptimizer
{
    private const string Owner = nameof(Adamax);
    private const string MKey = "m";
    private const string UKey = "u";

    /// <summary>Creates Adamax with a constant learning rate (PyTorch's defaults throughout).</summary>
    /// <inheritdoc cref="Adamax(Schedule, double, double, double, double)" path="/param"/>
    public Adamax(double learningRate = 2e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : this(Hyper.Rate(Owner, learningRate), beta1, beta2, eps, weightDecay)
    {
    }

    /// <summary>Creates Adamax whose learning rate follows a schedule, evaluated at the optimizer's step counter.</summary>
    /// <param name="learningRate">Step size lr (PyTorch <c>lr</c>, default 2e-3), constant or a schedule.</param>
    /// <param name="beta1">Decay rate of the first-moment estimate m (PyTorch <c>betas[0]</c>, default 0.9); in [0, 1).</param>
    /// <param name="beta2">Decay rate of the infinity norm u (PyTorch <c>betas[1]</c>, default 0.999); in [0, 1).</param>
    /// <param name="eps">Added to |g| before the maximum, which keeps u &gt; 0 (PyTorch <c>eps</c>, default 1e-8); finite and ≥ 0.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient as weightDecay·p (PyTorch <c>weight_decay</c>, default 0); finite and ≥ 0.</param>
    public Adamax(Schedule learningRate, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
    {
        LearningRate = Hyper.Rate(Owner, learningRate);
        Beta1 = Hyper.UnitIntervalOpen(Owner, nameof(beta1), beta1);
        Beta2 = Hyper.UnitIntervalOpen(Owner, nameof(beta2), beta2);
        Eps = Hyper.NonNegative(Owner, nameof(eps), eps);
        WeightDecay = Hyper.NonNegative(Owner, nameof(weightDecay), weightDecay);
    }

    /// <summary>The learning-rate schedule.</summary>
    public Schedule LearningRate { get; }

    /// <summary>The decay rate of the first-moment estimate.</summary>
    public double Beta1 { get; }

    /// <summary>The decay rate of the infinity norm.</summary>
    public double Beta2 { get; }

    /// <summary>The term added to |g|.</summary>
    public double Eps { get; }

    /// <summary>The L2 weight-decay coefficient.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc/>
    public string Name => "adamax";

    /// <inheritdoc/>
    public TensorTree Init(TensorTree parameters)
    {
        OptimizerState.CheckParameters(Owner, "Init", parameters);
        return new TensorTree
        {
            { OptimizerState.StepKey, OptimizerState.StepTensor(0, OptimizerState.DeviceOf(parameters)) },
            { MKey, parameters.Map(Tensor.ZerosLike) },
            { UKey, parameters.Map(Tensor.ZerosLike) },
        };
    }

    /// <inheritdoc/>
    public (TensorTree Parameters, TensorTree State) Update(TensorTree gradients, TensorTree state, TensorTree parameters) =>
        Update(gradients, state, parameters, Donation.None);

    /// <inheritdoc />
    public (TensorTree Parameters, TensorTree State) Update(TensorTree gradients, TensorTree state, TensorTree parameters, Donation donate)
    {
        // The bias correction lr / (1 − β₁ᵗ) as 0-d float64 tensor ops on the step counter (the host formula's roundings), so
        // that a compiled step can replay it; the counter is read back only for a learning-rate schedule.
        var (step, lr) = OptimizerState.BeginUpdate(Owner, LearningRate, gradients, state, parameters, readStep: false);
        var m = OptimizerState.Slot(Owner, state, MKey, parameters);
        var u = OptimizerState.Slot(Owner, state, UKey, parameters);
        var stepSize = lr / OptimizerState.BiasCorrection(Beta1, OptimizerState.UpdateNumber(Owner, state));

        var p = OptimizerState.LeafValues(parameters);
        var g = OptimizerState.LeafValues(gradients);
        var newP = new Tensor[p.Length];
        var newM = new Tensor[p.Length];
        var newU = new Tensor[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            var grad = WeightDecay != 0 ? Tensor.Axpby(1, g[i], WeightDecay, p[i]) : g[i];
            newM[i] = Tensor.Axpby(Beta1, OptimizerState.Last(m[i], donate, Donation.State), 1 - Beta1, grad);
            newU[i] = (OptimizerState.Last(u[i], donate, Donation.State) * Beta2).Maximum(grad.Abs() + Eps);
            newP[i] = OptimizerState.Last(p[i], donate, Donation.Parameters) - newM[i] * stepSize.To(newM[i].DType) / newU[i];
        }

        var newState = new TensorTree
        {
            { OptimizerState.StepKey, OptimizerState.NextStep(Owner, state, step) },
            { MKey, parameters.WithLeaves(newM) },
            { UKey, parameters.WithLeaves(newU) },
        };
        return (parameters.WithLeaves(newP), newState);
    }

    /// <inheritdoc/>
    public override string ToString() => $"Adamax(lr: {LearningRate}, betas: ({Beta1}, {Beta2}), eps: {Eps}, weightDecay: {WeightDecay})";
}
