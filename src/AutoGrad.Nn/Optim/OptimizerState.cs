namespace AutoGrad.Nn.Optim;

/// <summary>
/// What every optimizer shares: the step counter in the state tree, per-parameter state trees ("slots")
/// laid out like the parameters, and the checks that gradients and state fit the parameters. Each
/// message starts with the optimizer and the call, e.g. <c>Adam.Update: …</c>.
/// </summary>
internal static class OptimizerState
{
    /// <summary>The state key of the step counter: an int32 scalar, the number of updates done so far.</summary>
    public const string StepKey = "step";

    /// <summary>The step counter as a tensor, on <paramref name="device"/> (the CPU by default).</summary>
    public static Tensor StepTensor(int step, Device? device = null) => Tensor.Scalar(step, DType.Int32, device);

    /// <summary>Where an optimizer's state goes: the parameters' device (their first leaf's), so a model on a GPU is updated there.</summary>
    public static Device DeviceOf(TensorTree parameters) => parameters.Leaves() is { Count: > 0 } leaves ? leaves[0].Value.Device : Device.Cpu;

    /// <summary>Checks that <paramref name="parameters"/> is a tree of floating-point tensors.</summary>
    public static void CheckParameters(string optimizer, string call, TensorTree parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var (path, value) in parameters.Leaves())
        {
            if (!value.DType.IsFloating())
            {
                throw new ArgumentException(
                    $"{optimizer}.{call}: parameter {Describe(path)} is {value.DType.Name()}{value.Shape}; optimizers update float32 or float64 tensors.",
                    nameof(parameters));
            }
        }
    }

    /// <summary>Checks that <paramref name="gradients"/> has the parameters' structure, shapes and dtypes.</summary>
    public static void CheckGradients(string optimizer, TensorTree gradients, TensorTree parameters)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        ArgumentNullException.ThrowIfNull(parameters);
        CheckLike(optimizer, "Update", "the gradients", "gradient", gradients, parameters, nameof(gradients));
    }

    /// <summary>The number of updates done so far, read from <paramref name="state"/>.</summary>
    public static int ReadStep(string optimizer, TensorTree state)
    {
        var counter = StepCounter(optimizer, state);
        double step;
        try
        {
            step = counter.Item();
        }
        catch (JitTraceException e)
        {
            throw new JitTraceException(
                $"{optimizer}.Update reads its step counter back to the host (for its bias correction, learning-rate schedule or first " +
                $"step), which a compiled step (Transforms.Jit) cannot replay; call {optimizer}.Update outside the compiled function. ({e.Message})",
                e);
        }

        if (!(step >= 0 && step < int.MaxValue && step == Math.Floor(step)))
        {
            throw new ArgumentException($"{optimizer}.Update: the state's '{StepKey}' must be a whole number ≥ 0, got {step}.", nameof(state));
        }

        return (int)step;
    }

    /// <summary>The leaves of the per-parameter state <paramref name="key"/>, checked against the parameters.</summary>
    public static IReadOnlyList<Tensor> Slot(string optimizer, TensorTree state, string key, TensorTree parameters)
    {
        var node = Node(optimizer, state, key);
        CheckLike(optimizer, "Update", $"the state's '{key}'", $"state '{key}' entry", node, parameters, nameof(state));
        return node.Leaves().Select(l => l.Value).ToArray();
    }

    /// <summary>A scalar in the state (such as NAdam's running product), read as a double.</summary>
    public static double Scalar(string optimizer, TensorTree state, string key) => ScalarTensor(optimizer, state, key).Item();

    /// <summary>A scalar in the state as its tensor, checked to hold one element and not read back (a compiled step can replay ops on it).</summary>
    public static Tensor ScalarTensor(string optimizer, TensorTree state, string key)
    {
        var node = Node(optimizer, state, key);
        if (!node.IsLeaf || node.Value.Size != 1)
        {
            throw new ArgumentException($"{optimizer}.Update: the state's '{key}' must be a scalar tensor; was the state made by {optimizer}.Init?", nameof(state));
        }

        return node.Value;
    }

    /// <summary>
    /// What every <c>Update</c> does first: check the parameters and that the gradients match them, and evaluate the
    /// learning-rate schedule. The step counter is read back to the host only when the update needs its value
    /// (<paramref name="readStep"/>, or a schedule that is not constant); otherwise <c>Step</c> is null and the update
    /// stays a pure tensor computation, which a compiled step (<c>Transforms.Jit</c>) can replay.
    /// </summary>
    public static (int? Step, double LearningRate) BeginUpdate(string optimizer, Schedule schedule, TensorTree gradients, TensorTree state, TensorTree parameters, bool readStep)
    {
        CheckParameters(optimizer, "Update", parameters);
        CheckGradients(optimizer, gradients, parameters);
        if (!readStep && schedule is ConstantSchedule constant)
        {
            StepCounter(optimizer, state);
            return (null, constant.LearningRate);
        }

        int step = ReadStep(optimizer, state);
        return (step, LearningRate(optimizer, schedule, step));
    }

    /// <summary>The counter after this update: from the host value when it was read, else computed as tensor ops.</summary>
    public static Tensor NextStep(string optimizer, TensorTree state, int? step) =>
        step is { } s ? StepTensor(s + 1, StepCounter(optimizer, state).Device) : (StepCounter(optimizer, state).To(DType.Float64) + 1.0).To(DType.Int32);

    /// <summary>t, this update's number (the counter + 1), as a 0-d float64 tensor: not read back, so a compiled step can replay it.</summary>
    public static Tensor UpdateNumber(string optimizer, TensorTree state) => StepCounter(optimizer, state).To(DType.Float64) + 1.0;

    /// <summary>
    /// 1 − βᵗ as a 0-d float64 tensor: the bias correction of a moment with decay β after t updates, with the value and
    /// rounding of the host's <c>1 - Math.Pow(β, t)</c> (a one-element Pow is Math.Pow).
    /// </summary>
    public static Tensor BiasCorrection(double beta, Tensor t) => 1.0 - Tensor.Scalar(beta, DType.Float64, t.Device).Pow(t);

    /// <summary>The step counter's tensor, checked to be a scalar (its value is not read).</summary>
    private static Tensor StepCounter(string optimizer, TensorTree state)
    {
        var node = Node(optimizer, state, StepKey);
        if (!node.IsLeaf || node.Value.Size != 1)
        {
            throw new ArgumentException($"{optimizer}.Update: the state's '{StepKey}' must be a scalar tensor; was the state made by {optimizer}.Init?", nameof(state));
        }

        return node.Value;
    }

    /// <summary>The schedule's learning rate for <paramref name="step"/>, checked: finite and ≥ 0.</summary>
    public static double LearningRate(string optimizer, Schedule schedule, int step)
    {
        double lr = schedule.At(step);
        if (!double.IsFinite(lr) || lr < 0)
        {
            throw new InvalidOperationException($"{optimizer}.Update: the learning-rate schedule {schedule} gave {lr} at step {step}; a learning rate must be a finite number ≥ 0.");
        }

        return lr;
    }

    /// <summary>The leaves of a tree as a list, in <see cref="TensorTree.Leaves"/> order.</summary>
    /// <summary><paramref name="tensor"/>, donated when <paramref name="donate"/> names <paramref name="what"/>: call it at the tensor's last use in an update.</summary>
    public static Tensor Last(Tensor tensor, Donation donate, Donation what) => (donate & what) != 0 ? tensor.Donate() : tensor;

    public static Tensor[] LeafValues(TensorTree tree) => tree.Leaves().Select(l => l.Value).ToArray();

    private static TensorTree Node(string optimizer, TensorTree state, string key)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.IsLeaf || !state.Keys.Contains(key))
        {
            string keys = state.IsLeaf ? "it is a single tensor" : $"it has [{string.Join(", ", state.Keys)}]";
            throw new ArgumentException($"{optimizer}.Update: the state has no '{key}' ({keys}); pass the state made by {optimizer}.Init or returned by the previous {optimizer}.Update.", nameof(state));
        }

        return state.Subtree(key);
    }

    private static void CheckLike(string optimizer, string call, string what, string leafWhat, TensorTree tree, TensorTree parameters, string paramName)
    {
        if (!tree.HasSameStructure(parameters))
        {
            throw new ArgumentException(
                $"{optimizer}.{call}: {what} must have the parameters' structure, got [{Paths(tree)}] for parameters [{Paths(parameters)}].",
                paramName);
        }

        var leaves = tree.Leaves();
        var reference = parameters.Leaves();
        for (int i = 0; i < leaves.Count; i++)
        {
            var (path, t) = leaves[i];
            var p = reference[i].Value;
            if (t.Shape != p.Shape || t.DType != p.DType)
            {
                throw new ArgumentException(
                    $"{optimizer}.{call}: {leafWhat} {Describe(path)} is {t.DType.Name()}{t.Shape} but the parameter is {p.DType.Name()}{p.Shape}.",
                    paramName);
            }
        }
    }

    private static string Paths(TensorTree tree) => string.Join(", ", tree.Leaves().Select(l => Describe(l.Path)));

    private static string Describe(string path) => path.Length == 0 ? "(root leaf)" : $"'{path}'";
}
