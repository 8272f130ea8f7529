namespace AutoGrad.Nn.Optim;

/// <summary>
/// AdamW (Loshchilov and Hutter, 2019): Adam with decoupled weight decay, optionally with AMSGrad; the same
/// update as PyTorch's <c>torch.optim.AdamW</c>. The parameters shrink by the factor 1 − lr·weightDecay
/// before the Adam step, and the decay never enters the moment estimates:
/// <code>
/// p = p·(1 − lr·weightDecay)
/// m = beta1·m + (1 − beta1)·g
/// v = beta2·v + (1 − beta2)·g²
/// vMax = max(vMax, v)                                   (AMSGrad; used below instead of v)
/// p = p − lr / (1 − beta1ᵗ) · m / (√v / √(1 − beta2ᵗ) + eps)
/// </code>
/// State: <c>{"step": int32 scalar, "m": tree, "v": tree, "v_max": tree}</c>, as for <see cref="Adam"/>.
/// </summary>
public sealed class AdamW : IOptimizer
{
    private const string Owner = nameof(AdamW);
    private readonly AdamCore _core;

    /// <summary>Creates AdamW with a constant learning rate (PyTorch's defaults throughout).</summary>
    /// <inheritdoc cref="AdamW(Schedule, double, double, double, double, bool)" path="/param"/>
    public AdamW(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01, bool amsgrad = false)
        : this(Hyper.Rate(Owner, learningRate), beta1, beta2, eps, weightDecay, amsgrad)
    {
    }

    /// <summary>Creates AdamW whose learning rate follows a schedule, evaluated at the optimizer's step counter.</summary>
    /// <param name="learningRate">Step size lr (PyTorch <c>lr</c>, default 1e-3), constant or a schedule; it also scales the decay.</param>
    /// <param name="beta1">Decay rate of the first-moment estimate m (PyTorch <c>betas[0]</c>, default 0.9); in [0, 1).</param>
    /// <param name="beta2">Decay rate of the second-moment estimate v (PyTorch <c>betas[1]</c>, default 0.999); in [0, 1).</param>
    /// <param name="eps">Added to the denominator for numerical stability (PyTorch <c>eps</c>, default 1e-8); finite and ≥ 0.</param>
    /// <param name="weightDecay">Decoupled weight decay: each step multiplies p by 1 − lr·weightDecay (PyTorch <c>weight_decay</c>, default 0.01); finite and ≥ 0.</param>
    /// <param name="amsgrad">Normalise by the running maximum of v (AMSGrad; PyTorch <c>amsgrad</c>, default false).</param>
    public AdamW(Schedule learningRate, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01, bool amsgrad = false)
    {
        LearningRate = Hyper.Rate(Owner, learningRate);
        Beta1 = Hyper.UnitIntervalOpen(Owner, nameof(beta1), beta1);
        Beta2 = Hyper.UnitIntervalOpen(Owner, nameof(beta2), beta2);
        Eps = Hyper.NonNegative(Owner, nameof(eps), eps);
        WeightDecay = Hyper.NonNegative(Owner, nameof(weightDecay), weightDecay);
        Amsgrad = amsgrad;
        _core = new AdamCore(Owner, LearningRate, Beta1, Beta2, Eps, WeightDecay, decoupled: true, Amsgrad);
    }

    /// <summary>The learning-rate schedule.</summary>
    public Schedule LearningRate { get; }

    /// <summary>The decay rate of the first-moment estimate.</summary>
    public double Beta1 { get; }

    /// <summary>The decay rate of the second-moment estimate.</summary>
    public double Beta2 { get; }

    /// <summary>The term added to the denominator.</summary>
    public double Eps { get; }

    /// <summary>The decoupled weight-decay coefficient.</summary>
    public double WeightDecay { get; }

    /// <summary>True for the AMSGrad variant.</summary>
    public bool Amsgrad { get; }

    /// <inheritdoc/>
    public string Name => "adamw";

    /// <inheritdoc/>
    public TensorTree Init(TensorTree parameters) => _core.Init(parameters);

    /// <inheritdoc/>
    public (TensorTree Parameters, TensorTree State) Update(TensorTree gradients, TensorTree state, TensorTree parameters) =>
        _core.Update(gradients, state, parameters, Donation.None);

    /// <inheritdoc />
    public (TensorTree Parameters, TensorTree State) Update(TensorTree gradients, TensorTree state, TensorTree parameters, Donation donate) =>
        _core.Update(gradients, state, parameters, donate);

    /// <inheritdoc/>
    public override string ToString() =>
        $"AdamW(lr: {LearningRate}, betas: ({Beta1}, {Beta2}), eps: {Eps}, weightDecay: {WeightDecay}, amsgrad: {Amsgrad})";
}
