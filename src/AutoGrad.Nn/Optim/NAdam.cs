namespace AutoGrad.Nn.Optim;

/// <summary>
/// NAdam (Dozat, 2016): Adam with Nesterov momentum and a warming momentum schedule μₜ; the same update as
/// PyTorch's <c>torch.optim.NAdam</c> (with its running product of μ). For gradient g, parameter p,
/// learning rate lr and step t (1 for the first update):
/// <code>
/// g = g + weightDecay·p
/// μₜ = beta1·(1 − ½·0.96^(t·momentumDecay)),  μₜ₊₁ likewise,  Πₜ = Πₜ₋₁·μₜ  (Π₀ = 1)
/// m = beta1·m + (1 − beta1)·g
/// v = beta2·v + (1 − beta2)·g²
/// d = √v / √(1 − beta2ᵗ) + eps
/// p = p − lr·(1 − μₜ)/(1 − Πₜ) · g/d − lr·μₜ₊₁/(1 − Πₜ·μₜ₊₁) · m/d
/// </code>
/// State: <c>{"step": int32 scalar, "mu_product": float64 scalar Πₜ, "m": tree, "v": tree}</c>, the trees
/// laid out like the parameters. The μ product is kept in float64 whatever the parameters' dtype.
/// </summary>
public sealed class NAdam : IOptimizer
{
    private const string Owner = nameof(NAdam);
    private const string MuProductKey = "mu_product";
    private const string MKey = "m";
    private const string VKey = "v";

    /// <summary>Creates NAdam with a constant learning rate (PyTorch's defaults throughout).</summary>
    /// <inheritdoc cref="NAdam(Schedule, double, double, double, double, double)" path="/param"/>
    public NAdam(double learningRate = 2e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3)
        : this(Hyper.Rate(Owner, learningRate), beta1, beta2, eps, weightDecay, momentumDecay)
    {
    }

    /// <summary>Creates NAdam whose learning rate follows a schedule, evaluated at the optimizer's step counter.</summary>
    /// <param name="learningRate">Step size lr (PyTorch <c>lr</c>, default 2e-3), constant or a schedule.</param>
    /// <param name="beta1">Decay rate of the first-moment estimate m, and the limit of the momentum schedule μₜ (PyTorch <c>betas[0]</c>, default 0.9); in [0, 1).</param>
    /// <param name="beta2">Decay rate of the second-moment estimate v (PyTorch <c>betas[1]</c>, default 0.999); in [0, 1).</param>
    /// <param name="eps">Added to the denominator for numerical stability (PyTorch <c>eps</c>, default 1e-8); finite and ≥ 0.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient as weightDecay·p (PyTorch <c>weight_decay</c>, default 0); finite and ≥ 0.</param>
    /// <param name="momentumDecay">How fast μₜ warms up towards beta1 (PyTorch <c>momentum_decay</c>, default 4e-3); finite and ≥ 0.</param>
    public NAdam(Schedule learningRate, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3)
    {
        LearningRate = Hyper.Rate(Owner, learningRate);
        Beta1 = Hyper.UnitIntervalOpen(Owner, nameof(beta1), beta1);
        Beta2 = Hyper.UnitIntervalOpen(Owner, nameof(beta2), beta2);
        Eps = Hyper.NonNegative(Owner, nameof(eps), eps);
        WeightDecay = Hyper.NonNegative(Owner, nameof(weightDecay), weightDecay);
        MomentumDecay = Hyper.NonNegative(Owner, nameof(momentumDecay), momentumDecay);
    }

    /// <summary>The learning-rate schedule.</summary>
    public Schedule LearningRate { get; }

    /// <summary>The decay rate of the first-moment estimate.</summary>
    public double Beta1 { get; }

    /// <summary>The decay rate of the second-moment estimate.</summary>
    public double Beta2 { get; }

    /// <summary>The term added to the denominator.</summary>
    public double Eps { get; }

    /// <summary>The L2 weight-decay coefficient.</summary>
    public double WeightDecay { get; }

    /// <summary>The warm-up rate of the momentum schedule.</summary>
    public double MomentumDecay { get; }

    /// <inheritdoc/>
    public string Name => "nadam";

    /// <inheritdoc/>
    public TensorTree Init(TensorTree parameters)
    {
        OptimizerState.CheckParameters(Owner, "Init", parameters);
        return new TensorTree
        {
            { OptimizerState.StepKey, OptimizerState.StepTensor(0, OptimizerState.DeviceOf(parameters)) },
            { MuProductKey, Tensor.Scalar(1.0, DType.Float64, OptimizerState.DeviceOf(parameters)) },
            { MKey, parameters.Map(Tensor.ZerosLike) },
            { VKey, parameters.Map(Tensor.ZerosLike) },
        };
    }

    /// <inheritdoc/>
    public (TensorTree Parameters, TensorTree State) Update(TensorTree gradients, TensorTree state, TensorTree parameters) =>
        Update(gradients, state, parameters, Donation.None);

    /// <inheritdoc />
    public (TensorTree Parameters, TensorTree State) Update(TensorTree gradients, TensorTree state, TensorTree parameters, Donation donate)
    {
        // The momentum schedule, its running product and the bias corrections as 0-d float64 tensor ops on the step counter
        // and the state's product (the host formulas' roundings), so that a compiled step can replay them; the counter is
        // read back only for a learning-rate schedule.
        var (step, lr) = OptimizerState.BeginUpdate(Owner, LearningRate, gradients, state, parameters, readStep: false);
        var muProduct = OptimizerState.ScalarTensor(Owner, state, MuProductKey).To(DType.Float64);
        var m = OptimizerState.Slot(Owner, state, MKey, parameters);
        var v = OptimizerState.Slot(Owner, state, VKey, parameters);

        var t = OptimizerState.UpdateNumber(Owner, state);
        var biasCorrection2Sqrt = OptimizerState.BiasCorrection(Beta2, t).Sqrt();
        var decay = Tensor.Scalar(0.96, DType.Float64, t.Device);
        var mu = Beta1 * (1.0 - 0.5 * decay.Pow(t * MomentumDecay));
        var muNext = Beta1 * (1.0 - 0.5 * decay.Pow((t + 1.0) * MomentumDecay));
        muProduct *= mu;
        var gradStep = lr * (1.0 - mu) / (1.0 - muProduct);
        var momentumStep = lr * muNext / (1.0 - muProduct * muNext);

        var p = OptimizerState.LeafValues(parameters);
        var g = OptimizerState.LeafValues(gradients);
        var newP = new Tensor[p.Length];
        var newM = new Tensor[p.Length];
        var newV = new Tensor[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            var grad = WeightDecay != 0 ? Tensor.Axpby(1, g[i], WeightDecay, p[i]) : g[i];
            newM[i] = Tensor.Axpby(Beta1, OptimizerState.Last(m[i], donate, Donation.State), 1 - Beta1, grad);
            newV[i] = Tensor.AxpbySquare(Beta2, OptimizerState.Last(v[i], donate, Donation.State), 1 - Beta2, grad);
            var afterGrad = Tensor.AdaptiveStep(OptimizerState.Last(p[i], donate, Donation.Parameters), gradStep, grad, newV[i], biasCorrection2Sqrt, Eps);
            newP[i] = Tensor.AdaptiveStep(afterGrad.Donate(), momentumStep, newM[i], newV[i], biasCorrection2Sqrt, Eps);
        }

        var newState = new TensorTree
        {
            { OptimizerState.StepKey, OptimizerState.NextStep(Owner, state, step) },
            { MuProductKey, muProduct },
            { MKey, parameters.WithLeaves(newM) },
            { VKey, parameters.WithLeaves(newV) },
        };
        return (parameters.WithLeaves(newP), newState);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"NAdam(lr: {LearningRate}, betas: ({Beta1}, {Beta2}), eps: {Eps}, weightDecay: {WeightDecay}, momentumDecay: {MomentumDecay})";
}
