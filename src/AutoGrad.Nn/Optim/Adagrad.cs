namespace AutoGrad.Nn.Optim;

/// <summary>
/// Adagrad (Duchi, Hazan and Singer, 2011): per-element steps scaled by the root of the sum of all past
/// squared gradients; the same update as PyTorch's <c>torch.optim.Adagrad</c>. For gradient g, parameter
/// p, learning rate lr and step t (1 for the first update):
/// <code>
/// g = g + weightDecay·p
/// s = s + g²                                   (s starts at initialAccumulatorValue)
/// p = p − lr / (1 + (t − 1)·lrDecay) · g / (√s + eps)
/// </code>
/// State: <c>{"step": int32 scalar, "sum": tree}</c>, the tree laid out like the parameters.
/// </summary>
public sealed class Adagrad : IOptimizer
{
    private const string Owner = nameof(Adagrad);
    private const string SumKey = "sum";

    /// <summary>Creates Adagrad with a constant learning rate (PyTorch's defaults throughout).</summary>
    /// <inheritdoc cref="Adagrad(Schedule, double, double, double, double)" path="/param"/>
    public Adagrad(double learningRate = 0.01, double lrDecay = 0, double weightDecay = 0, double initialAccumulatorValue = 0, double eps = 1e-10)
        : this(Hyper.Rate(Owner, learningRate), lrDecay, weightDecay, initialAccumulatorValue, eps)
    {
    }

    /// <summary>Creates Adagrad whose learning rate follows a schedule, evaluated at the optimizer's step counter.</summary>
    /// <param name="learningRate">Step size lr (PyTorch <c>lr</c>, default 0.01), constant or a schedule; <paramref name="lrDecay"/> applies on top.</param>
    /// <param name="lrDecay">Inverse-time decay of the step: update t uses lr / (1 + (t − 1)·lrDecay) (PyTorch <c>lr_decay</c>, default 0); finite and ≥ 0.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient as weightDecay·p (PyTorch <c>weight_decay</c>, default 0); finite and ≥ 0.</param>
    /// <param name="initialAccumulatorValue">Starting value of every element of the sum of squares (PyTorch <c>initial_accumulator_value</c>, default 0); finite and ≥ 0.</param>
    /// <param name="eps">Added to √s for numerical stability (PyTorch <c>eps</c>, default 1e-10); finite and ≥ 0.</param>
    public Adagrad(Schedule learningRate, double lrDecay = 0, double weightDecay = 0, double initialAccumulatorValue = 0, double eps = 1e-10)
    {
        LearningRate = Hyper.Rate(Owner, learningRate);
        LrDecay = Hyper.NonNegative(Owner, nameof(lrDecay), lrDecay);
        WeightDecay = Hyper.NonNegative(Owner, nameof(weightDecay), weightDecay);
        InitialAccumulatorValue = Hyper.NonNegative(Owner, nameof(initialAccumulatorValue), initialAccumulatorValue);
        Eps = Hyper.NonNegative(Owner, nameof(eps), eps);
    }

    /// <summary>The learning-rate schedule.</summary>
    public Schedule LearningRate { get; }

    /// <summary>The inverse-time decay of the step.</summary>
    public double LrDecay { get; }

    /// <summary>The L2 weight-decay coefficient.</summary>
    public double WeightDecay { get; }

    /// <summary>The starting value of the sum of squares.</summary>
    public double InitialAccumulatorValue { get; }

    /// <summary>The term added to √s.</summary>
    public double Eps { get; }

    /// <inheritdoc/>
    public string Name => "adagrad";

    /// <inheritdoc/>
    public TensorTree Init(TensorTree parameters)
    {
        OptimizerState.CheckParameters(Owner, "Init", parameters);
        return new TensorTree
        {
            { OptimizerState.StepKey, OptimizerState.StepTensor(0, OptimizerState.DeviceOf(parameters)) },
            { SumKey, parameters.Map(p => Tensor.Full(p.Shape.ToArray(), InitialAccumulatorValue, p.DType, p.Device)) },
        };
    }

    /// <inheritdoc/>
    public (TensorTree Parameters, TensorTree State) Update(TensorTree gradients, TensorTree state, TensorTree parameters) =>
        Update(gradients, state, parameters, Donation.None);

    /// <inheritdoc />
    public (TensorTree Parameters, TensorTree State) Update(TensorTree gradients, TensorTree state, TensorTree parameters, Donation donate)
    {
        var (step, lr) = OptimizerState.BeginUpdate(Owner, LearningRate, gradients, state, parameters, readStep: LrDecay != 0);
        var sum = OptimizerState.Slot(Owner, state, SumKey, parameters);
        double stepSize = step is { } s ? lr / (1 + s * LrDecay) : lr;

        var p = OptimizerState.LeafValues(parameters);
        var g = OptimizerState.LeafValues(gradients);
        var newP = new Tensor[p.Length];
        var newS = new Tensor[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            var grad = WeightDecay != 0 ? Tensor.Axpby(1, g[i], WeightDecay, p[i]) : g[i];
            newS[i] = Tensor.AxpbySquare(1, OptimizerState.Last(sum[i], donate, Donation.State), 1, grad);
            newP[i] = Tensor.AdaptiveStep(OptimizerState.Last(p[i], donate, Donation.Parameters), stepSize, grad, newS[i], 1, Eps);
        }

        var newState = new TensorTree
        {
            { OptimizerState.StepKey, OptimizerState.NextStep(Owner, state, step) },
            { SumKey, parameters.WithLeaves(newS) },
        };
        return (parameters.WithLeaves(newP), newState);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"Adagrad(lr: {LearningRate}, lrDecay: {LrDecay}, weightDecay: {WeightDecay}, initialAccumulatorValue: {InitialAccumulatorValue}, eps: {Eps})";
}
