namespace AutoGrad.Nn.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay; the same
/// update as PyTorch's <c>torch.optim.SGD</c>. For gradient g, parameter p and learning rate lr:
/// <code>
/// d = g + weightDecay·p
/// b = d                                   (first step, when momentum ≠ 0)
/// b = momentum·b + (1 − dampening)·d      (later steps)
/// d = d + momentum·b  (Nesterov)   or   d = b
/// p = p − lr·d
/// </code>
/// State: <c>{"step": int32 scalar, "momentum": tree like the parameters}</c>; the momentum buffers are
/// there only when <see cref="Momentum"/> ≠ 0.
/// </summary>
public sealed class Sgd : IOptimizer
{
    private const string Owner = nameof(Sgd);
    private const string MomentumKey = "momentum";

    /// <summary>Creates SGD with a constant learning rate.</summary>
    /// <param name="learningRate">Step size lr (PyTorch <c>lr</c>, required); finite and ≥ 0.</param>
    /// <param name="momentum">Momentum factor (PyTorch <c>momentum</c>, default 0 = plain SGD); finite and ≥ 0.</param>
    /// <param name="dampening">Dampening for momentum (PyTorch <c>dampening</c>, default 0): the new gradient enters the buffer with weight 1 − dampening; in [0, 1].</param>
    /// <param name="nesterov">Use Nesterov momentum (PyTorch <c>nesterov</c>, default false); needs momentum &gt; 0 and dampening 0.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient as weightDecay·p (PyTorch <c>weight_decay</c>, default 0); finite and ≥ 0.</param>
    public Sgd(double learningRate, double momentum = 0, double dampening = 0, bool nesterov = false, double weightDecay = 0)
        : this(Hyper.Rate(Owner, learningRate), momentum, dampening, nesterov, weightDecay)
    {
    }

    /// <summary>Creates SGD whose learning rate follows a schedule, evaluated at the optimizer's step counter.</summary>
    /// <param name="learningRate">The learning-rate schedule (PyTorch: <c>lr</c> driven by an <c>LRScheduler</c>).</param>
    /// <param name="momentum">Momentum factor (PyTorch <c>momentum</c>, default 0 = plain SGD); finite and ≥ 0.</param>
    /// <param name="dampening">Dampening for momentum (PyTorch <c>dampening</c>, default 0): the new gradient enters the buffer with weight 1 − dampening; in [0, 1].</param>
    /// <param name="nesterov">Use Nesterov momentum (PyTorch <c>nesterov</c>, default false); needs momentum &gt; 0 and dampening 0.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient as weightDecay·p (PyTorch <c>weight_decay</c>, default 0); finite and ≥ 0.</param>
    public Sgd(Schedule learningRate, double momentum = 0, double dampening = 0, bool nesterov = false, double weightDecay = 0)
    {
        LearningRate = Hyper.Rate(Owner, learningRate);
        Momentum = Hyper.NonNegative(Owner, nameof(momentum), momentum);
        Dampening = Hyper.UnitIntervalClosed(Owner, nameof(dampening), dampening);
        WeightDecay = Hyper.NonNegative(Owner, nameof(weightDecay), weightDecay);
        if (nesterov && (momentum <= 0 || dampening != 0))
        {
            throw new ArgumentException($"{Owner}: Nesterov momentum needs momentum > 0 and dampening = 0, got momentum {momentum} and dampening {dampening}.", nameof(nesterov));
        }

        Nesterov = nesterov;
    }

    /// <summary>The learning-rate schedule.</summary>
    public Schedule LearningRate { get; }

    /// <summary>The momentum factor (0: no momentum buffers).</summary>
    public double Momentum { get; }

    /// <summary>The dampening of the momentum buffer.</summary>
    public double Dampening { get; }

    /// <summary>True for Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <summary>The L2 weight-decay coefficient.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc/>
    public string Name => "sgd";

    /// <inheritdoc/>
    public TensorTree Init(TensorTree parameters)
    {
        OptimizerState.CheckParameters(Owner, "Init", parameters);
        var state = new TensorTree { { OptimizerState.StepKey, OptimizerState.StepTensor(0, OptimizerState.DeviceOf(parameters)) } };
        if (Momentum != 0)
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
        var (step, lr) = OptimizerState.BeginUpdate(
            Owner, LearningRate, gradients, state, parameters, readStep: Momentum != 0 && Dampening != 0);
        var buffers = Momentum != 0 ? OptimizerState.Slot(Owner, state, MomentumKey, parameters) : null;

        var p = OptimizerState.LeafValues(parameters);
        var g = OptimizerState.LeafValues(gradients);
        var newP = new Tensor[p.Length];
        var newB = new Tensor[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            var d = WeightDecay != 0 ? Tensor.Axpby(1, g[i], WeightDecay, p[i]) : g[i];
            if (buffers is not null)
            {
                // PyTorch's first step sets the buffer to d. With no dampening, momentum·0 + d over the zero buffer of
                // Init is that same d, so the counter need not be read (and the update stays compilable).
                newB[i] = step == 0 ? d : Tensor.Axpby(Momentum, OptimizerState.Last(buffers[i], donate, Donation.State), 1 - Dampening, d);
                d = Nesterov ? Tensor.Axpby(1, d, Momentum, newB[i]) : newB[i];
            }

            newP[i] = Tensor.Axpby(1, OptimizerState.Last(p[i], donate, Donation.Parameters), -lr, d); // p − lr·d in one pass
        }

        var newState = new TensorTree { { OptimizerState.StepKey, OptimizerState.NextStep(Owner, state, step) } };
        if (buffers is not null)
        {
            newState.Add(MomentumKey, parameters.WithLeaves(newB));
        }

        return (parameters.WithLeaves(newP), newState);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"Sgd(lr: {LearningRate}, momentum: {Momentum}, dampening: {Dampening}, nesterov: {Nesterov}, weightDecay: {WeightDecay})";
}
