namespace AutoGrad.Nn.Optim;

/// <summary>
/// Adadelta (Zeiler, 2012): steps scaled by the ratio of running root mean squares of past updates and
/// of gradients; the same update as PyTorch's <c>torch.optim.Adadelta</c>. For gradient g, parameter p
/// and learning rate lr:
/// <code>
/// g = g + weightDecay·p
/// s = rho·s + (1 − rho)·g²
/// Δ = √(u + eps) / √(s + eps) · g
/// u = rho·u + (1 − rho)·Δ²
/// p = p − lr·Δ
/// </code>
/// State: <c>{"step": int32 scalar, "square_avg": tree, "acc_delta": tree}</c> (s and u), each tree laid
/// out like the parameters.
/// </summary>
public sealed class Adadelta : IOptimizer
{
    private const string Owner = nameof(Adadelta);
    private const string SquareAvgKey = "square_avg";
    private const string AccDeltaKey = "acc_delta";

    /// <summary>Creates Adadelta with a constant learning rate (PyTorch's defaults throughout).</summary>
    /// <inheritdoc cref="Adadelta(Schedule, double, double, double)" path="/param"/>
    public Adadelta(double learningRate = 1.0, double rho = 0.9, double eps = 1e-6, double weightDecay = 0)
        : this(Hyper.Rate(Owner, learningRate), rho, eps, weightDecay)
    {
    }

    /// <summary>Creates Adadelta whose learning rate follows a schedule, evaluated at the optimizer's step counter.</summary>
    /// <param name="learningRate">Coefficient that scales Δ before it is applied (PyTorch <c>lr</c>, default 1.0), constant or a schedule.</param>
    /// <param name="rho">Decay rate of the running averages of squared gradients and squared updates (PyTorch <c>rho</c>, default 0.9); in [0, 1].</param>
    /// <param name="eps">Added inside both square roots for numerical stability (PyTorch <c>eps</c>, default 1e-6); finite and ≥ 0.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient as weightDecay·p (PyTorch <c>weight_decay</c>, default 0); finite and ≥ 0.</param>
    public Adadelta(Schedule learningRate, double rho = 0.9, double eps = 1e-6, double weightDecay = 0)
    {
        LearningRate = Hyper.Rate(Owner, learningRate);
        Rho = Hyper.UnitIntervalClosed(Owner, nameof(rho), rho);
        Eps = Hyper.NonNegative(Owner, nameof(eps), eps);
        WeightDecay = Hyper.NonNegative(Owner, nameof(weightDecay), weightDecay);
    }

    /// <summary>The learning-rate schedule.</summary>
    public Schedule LearningRate { get; }

    /// <summary>The decay rate of the running averages.</summary>
    public double Rho { get; }

    /// <summary>The term added inside the square roots.</summary>
    public double Eps { get; }

    /// <summary>The L2 weight-decay coefficient.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc/>
    public string Name => "adadelta";

    /// <inheritdoc/>
    public TensorTree Init(TensorTree parameters)
    {
        OptimizerState.CheckParameters(Owner, "Init", parameters);
        return new TensorTree
        {
            { OptimizerState.StepKey, OptimizerState.StepTensor(0, OptimizerState.DeviceOf(parameters)) },
            { SquareAvgKey, parameters.Map(Tensor.ZerosLike) },
            { AccDeltaKey, parameters.Map(Tensor.ZerosLike) },
        };
    }

    /// <inheritdoc/>
    public (TensorTree Parameters, TensorTree State) Update(TensorTree gradients, TensorTree state, TensorTree parameters) =>
        Update(gradients, state, parameters, Donation.None);

    /// <inheritdoc />
    public (TensorTree Parameters, TensorTree State) Update(TensorTree gradients, TensorTree state, TensorTree parameters, Donation donate)
    {
        var (step, lr) = OptimizerState.BeginUpdate(Owner, LearningRate, gradients, state, parameters, readStep: false);
        var squareAvg = OptimizerState.Slot(Owner, state, SquareAvgKey, parameters);
        var accDelta = OptimizerState.Slot(Owner, state, AccDeltaKey, parameters);

        var p = OptimizerState.LeafValues(parameters);
        var g = OptimizerState.LeafValues(gradients);
        var newP = new Tensor[p.Length];
        var newS = new Tensor[p.Length];
        var newU = new Tensor[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            var grad = WeightDecay != 0 ? Tensor.Axpby(1, g[i], WeightDecay, p[i]) : g[i];
            newS[i] = Tensor.AxpbySquare(Rho, OptimizerState.Last(squareAvg[i], donate, Donation.State), 1 - Rho, grad);
            var std = (newS[i] + Eps).Sqrt();
            var delta = (accDelta[i] + Eps).Sqrt() / std * grad;
            newU[i] = OptimizerState.Last(accDelta[i], donate, Donation.State) * Rho + delta * delta * (1 - Rho);
            newP[i] = OptimizerState.Last(p[i], donate, Donation.Parameters) - delta * lr;
        }

        var newState = new TensorTree
        {
            { OptimizerState.StepKey, OptimizerState.NextStep(Owner, state, step) },
            { SquareAvgKey, parameters.WithLeaves(newS) },
            { AccDeltaKey, parameters.WithLeaves(newU) },
        };
        return (parameters.WithLeaves(newP), newState);
    }

    /// <inheritdoc/>
    public override string ToString() => $"Adadelta(lr: {LearningRate}, rho: {Rho}, eps: {Eps}, weightDecay: {WeightDecay})";
}
