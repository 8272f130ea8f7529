namespace AutoGrad.Nn.Optim;

/// <summary>
/// Adam (Kingma and Ba, 2015), optionally with AMSGrad and L2 weight decay added to the gradient; the same
/// update as PyTorch's <c>torch.optim.Adam</c>. For gradient g, parameter p, learning rate lr and step t
/// (1 for the first update):
/// <code>
/// g = g + weightDecay·p
/// m = beta1·m + (1 − beta1)·g
/// v = beta2·v + (1 − beta2)·g²
/// vMax = max(vMax, v)                                   (AMSGrad; used below instead of v)
/// p = p − lr / (1 − beta1ᵗ) · m / (√v / √(1 − beta2ᵗ) + eps)
/// </code>
/// State: <c>{"step": int32 scalar, "m": tree, "v": tree, "v_max": tree}</c>, each tree laid out like the
/// parameters; <c>v_max</c> only with AMSGrad. For weight decay that does not pass through the moments,
/// use <see cref="AdamW"/>.
/// </summary>
public sealed class Adam : IOptimizer
{
    private const string Owner = nameof(Adam);
    private readonly AdamCore _core;

    /// <summary>Creates Adam with a constant learning rate (PyTorch's defaults throughout).</summary>
    /// <inheritdoc cref="Adam(Schedule, double, double, double, double, bool)" path="/param"/>
    public Adam(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false)
        : this(Hyper.Rate(Owner, learningRate), beta1, beta2, eps, weightDecay, amsgrad)
    {
    }

    /// <summary>Creates Adam whose learning rate follows a schedule, evaluated at the optimizer's step counter.</summary>
    /// <param name="learningRate">Step size lr (PyTorch <c>lr</c>, default 1e-3), constant or a schedule.</param>
    /// <param name="beta1">Decay rate of the first-moment estimate m (PyTorch <c>betas[0]</c>, default 0.9); in [0, 1).</param>
    /// <param name="beta2">Decay rate of the second-moment estimate v (PyTorch <c>betas[1]</c>, default 0.999); in [0, 1).</param>
    /// <param name="eps">Added to the denominator for numerical stability (PyTorch <c>eps</c>, default 1e-8); finite and ≥ 0.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient as weightDecay·p (PyTorch <c>weight_decay</c>, default 0); finite and ≥ 0.</param>
    /// <param name="amsgrad">Normalise by the running maximum of v (AMSGrad; PyTorch <c>amsgrad</c>, default false).</param>
    public Adam(Schedule learningRate, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false)
    {
        LearningRate = Hyper.Rate(Owner, learningRate);
        Beta1 = Hyper.UnitIntervalOpen(Owner, nameof(beta1), beta1);
        Beta2 = Hyper.UnitIntervalOpen(Owner, nameof(beta2), beta2);
        Eps = Hyper.NonNegative(Owner, nameof(eps), eps);
        WeightDecay = Hyper.NonNegative(Owner, nameof(weightDecay), weightDecay);
        Amsgrad = amsgrad;
        _core = new AdamCore(Owner, LearningRate, Beta1, Beta2, Eps, WeightDecay, decoupled: false, Amsgrad);
    }

    /// <summary>The learning-rate schedule.</summary>
    public Schedule LearningRate { get; }

    /// <summary>The decay rate of the first-moment estimate.</summary>
    public double Beta1 { get; }

    /// <summary>The decay rate of the second-moment estimate.</summary>
    public double Beta2 { get; }

    /// <summary>The term added to the denominator.</summary>
    public double Eps { get; }

    /// <summary>The L2 weight-decay coefficient (added to the gradient).</summary>
    public double WeightDecay { get; }

    /// <summary>True for the AMSGrad variant.</summary>
    public bool Amsgrad { get; }

    /// <inheritdoc/>
    public string Name => "adam";

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
        $"Adam(lr: {LearningRate}, betas: ({Beta1}, {Beta2}), eps: {Eps}, weightDecay: {WeightDecay}, amsgrad: {Amsgrad})";
}
