using AutoGrad.Nn.Optim;
using Xunit;

namespace AutoGrad.Nn.Tests.Optim;

/// <summary>Invalid hyper-parameters and mismatched trees fail early, with messages that name the owner and the value.</summary>
public class ValidationTests
{
    /// <summary>Each case: the call, the exception type, and fragments its message must contain.</summary>
    private static readonly Dictionary<string, (Action Call, Type Exception, string[] Fragments)> InvalidHyperParameters = new()
    {
        ["Sgd NaN learning rate"] = (() => _ = new Sgd(double.NaN), typeof(ArgumentOutOfRangeException), ["Sgd", "learningRate", "NaN"]),
        ["Sgd negative learning rate"] = (() => _ = new Sgd(-0.1), typeof(ArgumentOutOfRangeException), ["Sgd", "learningRate", "-0.1"]),
        ["Sgd null schedule"] = (() => _ = new Sgd((Schedule)null!), typeof(ArgumentNullException), ["Sgd", "learningRate"]),
        ["Sgd negative momentum"] = (() => _ = new Sgd(0.1, momentum: -0.5), typeof(ArgumentOutOfRangeException), ["Sgd", "momentum", "-0.5"]),
        ["Sgd dampening above one"] = (() => _ = new Sgd(0.1, momentum: 0.9, dampening: 1.5), typeof(ArgumentOutOfRangeException), ["Sgd", "dampening", "1.5"]),
        ["Sgd nesterov without momentum"] = (() => _ = new Sgd(0.1, nesterov: true), typeof(ArgumentException), ["Sgd", "Nesterov", "momentum 0"]),
        ["Sgd nesterov with dampening"] = (() => _ = new Sgd(0.1, momentum: 0.9, dampening: 0.1, nesterov: true), typeof(ArgumentException), ["Sgd", "Nesterov", "dampening 0.1"]),
        ["Sgd negative weight decay"] = (() => _ = new Sgd(0.1, weightDecay: -1e-4), typeof(ArgumentOutOfRangeException), ["Sgd", "weightDecay", "-0.0001"]),
        ["RmsProp alpha one"] = (() => _ = new RmsProp(alpha: 1.0), typeof(ArgumentOutOfRangeException), ["RmsProp", "alpha", "[0, 1)", "got 1"]),
        ["RmsProp negative eps"] = (() => _ = new RmsProp(eps: -1e-8), typeof(ArgumentOutOfRangeException), ["RmsProp", "eps", "-1E-08"]),
        ["RmsProp NaN momentum"] = (() => _ = new RmsProp(momentum: double.NaN), typeof(ArgumentOutOfRangeException), ["RmsProp", "momentum", "NaN"]),
        ["Adam infinite learning rate"] = (() => _ = new Adam(double.PositiveInfinity), typeof(ArgumentOutOfRangeException), ["Adam", "learningRate", "Infinity"]),
        ["Adam beta1 one"] = (() => _ = new Adam(beta1: 1.0), typeof(ArgumentOutOfRangeException), ["Adam", "beta1", "[0, 1)", "got 1"]),
        ["Adam negative beta2"] = (() => _ = new Adam(beta2: -0.1), typeof(ArgumentOutOfRangeException), ["Adam", "beta2", "-0.1"]),
        ["Adam NaN eps"] = (() => _ = new Adam(eps: double.NaN), typeof(ArgumentOutOfRangeException), ["Adam", "eps", "NaN"]),
        ["Adam negative weight decay"] = (() => _ = new Adam(weightDecay: -0.01), typeof(ArgumentOutOfRangeException), ["Adam", "weightDecay", "-0.01"]),
        ["AdamW beta1 above one"] = (() => _ = new AdamW(beta1: 1.5), typeof(ArgumentOutOfRangeException), ["AdamW", "beta1", "1.5"]),
        ["AdamW negative weight decay"] = (() => _ = new AdamW(weightDecay: -0.01), typeof(ArgumentOutOfRangeException), ["AdamW", "weightDecay", "-0.01"]),
        ["Adadelta rho above one"] = (() => _ = new Adadelta(rho: 1.1), typeof(ArgumentOutOfRangeException), ["Adadelta", "rho", "[0, 1]", "1.1"]),
        ["Adadelta negative learning rate"] = (() => _ = new Adadelta(-1.0), typeof(ArgumentOutOfRangeException), ["Adadelta", "learningRate", "-1"]),
        ["Adamax beta2 one"] = (() => _ = new Adamax(beta2: 1.0), typeof(ArgumentOutOfRangeException), ["Adamax", "beta2", "got 1"]),
        ["NAdam negative momentum decay"] = (() => _ = new NAdam(momentumDecay: -0.004), typeof(ArgumentOutOfRangeException), ["NAdam", "momentumDecay", "-0.004"]),
        ["NAdam NaN beta1"] = (() => _ = new NAdam(beta1: double.NaN), typeof(ArgumentOutOfRangeException), ["NAdam", "beta1", "NaN"]),
        ["Adagrad negative lr decay"] = (() => _ = new Adagrad(lrDecay: -0.1), typeof(ArgumentOutOfRangeException), ["Adagrad", "lrDecay", "-0.1"]),
        ["Adagrad negative initial accumulator"] = (() => _ = new Adagrad(initialAccumulatorValue: -1), typeof(ArgumentOutOfRangeException), ["Adagrad", "initialAccumulatorValue", "-1"]),
        ["Adagrad NaN eps"] = (() => _ = new Adagrad(eps: double.NaN), typeof(ArgumentOutOfRangeException), ["Adagrad", "eps", "NaN"]),
        ["StepSchedule zero step size"] = (() => _ = new StepSchedule(0.1, 0), typeof(ArgumentOutOfRangeException), ["StepSchedule", "stepSize", "got 0"]),
        ["StepSchedule gamma above one"] = (() => _ = new StepSchedule(0.1, 2, 1.5), typeof(ArgumentOutOfRangeException), ["StepSchedule", "gamma", "(0, 1]", "1.5"]),
        ["StepSchedule negative learning rate"] = (() => _ = new StepSchedule(-0.1, 2), typeof(ArgumentOutOfRangeException), ["StepSchedule", "learningRate", "-0.1"]),
        ["ExponentialSchedule gamma zero"] = (() => _ = new ExponentialSchedule(0.1, 0), typeof(ArgumentOutOfRangeException), ["ExponentialSchedule", "gamma", "got 0"]),
        ["CosineSchedule zero tMax"] = (() => _ = new CosineSchedule(0.1, 0), typeof(ArgumentOutOfRangeException), ["CosineSchedule", "tMax", "got 0"]),
        ["CosineSchedule etaMin above learning rate"] = (() => _ = new CosineSchedule(0.1, 10, etaMin: 0.2), typeof(ArgumentOutOfRangeException), ["CosineSchedule", "etaMin", "0.2"]),
        ["LinearWarmupSchedule zero warm-up"] = (() => _ = new LinearWarmupSchedule(0.1, 0), typeof(ArgumentOutOfRangeException), ["LinearWarmupSchedule", "warmupSteps", "got 0"]),
        ["LinearWarmupSchedule start factor above one"] = (() => _ = new LinearWarmupSchedule(0.1, 5, 1.5), typeof(ArgumentOutOfRangeException), ["LinearWarmupSchedule", "startFactor", "1.5"]),
        ["LinearWarmupSchedule null after"] = (() => _ = new LinearWarmupSchedule(null!, 5), typeof(ArgumentNullException), ["LinearWarmupSchedule", "after"]),
        ["InverseTimeSchedule negative decay"] = (() => _ = new InverseTimeSchedule(0.1, -1), typeof(ArgumentOutOfRangeException), ["InverseTimeSchedule", "decay", "-1"]),
        ["InverseTimeSchedule NaN learning rate"] = (() => _ = new InverseTimeSchedule(double.NaN, 1), typeof(ArgumentOutOfRangeException), ["InverseTimeSchedule", "learningRate", "NaN"]),
    };

    public static TheoryData<string> InvalidHyperParameterCases => new(InvalidHyperParameters.Keys);

    /// <summary>Every optimizer, constructed with all of its optional state switched on.</summary>
    public static TheoryData<string> Optimizers => new("sgd", "rmsprop", "adam", "adamw", "adadelta", "adamax", "nadam", "adagrad");

    [Theory]
    [MemberData(nameof(InvalidHyperParameterCases))]
    public void ConstructorRejectsAnInvalidHyperParameterNamingTheOwnerAndTheValue(string name)
    {
        var (call, type, fragments) = InvalidHyperParameters[name];
        var e = Assert.Throws(type, call);
        foreach (var fragment in fragments)
        {
            Assert.Contains(fragment, e.Message);
        }
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void GradientsMissingALeafAreRejected(string name)
    {
        var optimizer = Create(name);
        var parameters = Parameters();
        var gradients = new TensorTree { { "w", Tensor.Zeros([3, 2], DType.Float64) } };
        var e = Assert.Throws<ArgumentException>(() => optimizer.Update(gradients, optimizer.Init(parameters), parameters));
        Assert.Contains($"{Owner(optimizer)}.Update: the gradients must have the parameters' structure, got ['w'] for parameters ['w', 'b']", e.Message);
        Assert.Equal("gradients", e.ParamName);
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void GradientsWithARenamedLeafAreRejected(string name)
    {
        var optimizer = Create(name);
        var parameters = Parameters();
        var gradients = new TensorTree { { "w", Tensor.Zeros([3, 2], DType.Float64) }, { "bias", Tensor.Zeros([2], DType.Float64) } };
        var e = Assert.Throws<ArgumentException>(() => optimizer.Update(gradients, optimizer.Init(parameters), parameters));
        Assert.Contains("got ['w', 'bias'] for parameters ['w', 'b']", e.Message);
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void AGradientOfTheWrongShapeIsRejected(string name)
    {
        var optimizer = Create(name);
        var parameters = Parameters();
        var gradients = new TensorTree { { "w", Tensor.Zeros([2, 3], DType.Float64) }, { "b", Tensor.Zeros([2], DType.Float64) } };
        var e = Assert.Throws<ArgumentException>(() => optimizer.Update(gradients, optimizer.Init(parameters), parameters));
        Assert.Contains($"{Owner(optimizer)}.Update: gradient 'w' is float64[2,3] but the parameter is float64[3,2]", e.Message);
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void AGradientOfAnotherDTypeIsRejected(string name)
    {
        var optimizer = Create(name);
        var parameters = Parameters();
        var gradients = new TensorTree { { "w", Tensor.Zeros([3, 2], DType.Float64) }, { "b", Tensor.Zeros([2], DType.Float32) } };
        var e = Assert.Throws<ArgumentException>(() => optimizer.Update(gradients, optimizer.Init(parameters), parameters));
        Assert.Contains("gradient 'b' is float32[2] but the parameter is float64[2]", e.Message);
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void StateMadeForOtherParametersIsRejected(string name)
    {
        var optimizer = Create(name);
        var parameters = Parameters();
        var other = new TensorTree { { "w", Tensor.Zeros([3, 2], DType.Float64) }, { "b", Tensor.Zeros([5], DType.Float64) } };
        var e = Assert.Throws<ArgumentException>(() => optimizer.Update(Zeros(parameters), optimizer.Init(other), parameters));
        Assert.Contains($"{Owner(optimizer)}.Update: state '", e.Message);
        Assert.Contains("entry 'b' is float64[5] but the parameter is float64[2]", e.Message);
        Assert.Equal("state", e.ParamName);
    }

    [Fact]
    public void StateOfAnotherStructureIsRejected()
    {
        var optimizer = new Adam();
        var parameters = Parameters();
        var state = optimizer.Init(new TensorTree { { "w", Tensor.Ones([3, 2], DType.Float64) } });
        var e = Assert.Throws<ArgumentException>(() => optimizer.Update(Zeros(parameters), state, parameters));
        Assert.Contains("Adam.Update: the state's 'm' must have the parameters' structure, got ['w'] for parameters ['w', 'b']", e.Message);
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void StateWithoutAStepCounterIsRejected(string name)
    {
        var optimizer = Create(name);
        var parameters = Parameters();
        var e = Assert.Throws<ArgumentException>(() => optimizer.Update(Zeros(parameters), new TensorTree(), parameters));
        Assert.Contains($"{Owner(optimizer)}.Update: the state has no 'step'", e.Message);
        Assert.Contains($"{Owner(optimizer)}.Init", e.Message);
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void IntegerParametersAreRejectedByInit(string name)
    {
        var optimizer = Create(name);
        var parameters = new TensorTree { { "count", Tensor.FromArray(new[] { 1, 2, 3 }) } };
        var e = Assert.Throws<ArgumentException>(() => optimizer.Init(parameters));
        Assert.Contains($"{Owner(optimizer)}.Init: parameter 'count' is int32[3]", e.Message);
    }

    [Fact]
    public void ANegativeStepCounterIsRejectedWhereTheUpdateReadsIt()
    {
        // SGD reads its counter only for a schedule or dampened momentum; with a constant rate it just counts (in tensor ops).
        var optimizer = new Sgd(new ExponentialSchedule(0.1, 0.5));
        var parameters = Parameters();
        var state = new TensorTree { { "step", Tensor.Scalar(-1, DType.Int32) } };
        var e = Assert.Throws<ArgumentException>(() => optimizer.Update(Zeros(parameters), state, parameters));
        Assert.Contains("Sgd.Update: the state's 'step' must be a whole number ≥ 0, got -1", e.Message);
    }

    [Fact]
    public void AnUpdateThatDoesNotReadTheCounterStillCountsSteps()
    {
        var optimizer = new Sgd(0.1);
        var parameters = Parameters();
        var state = new TensorTree { { "step", Tensor.Scalar(41, DType.Int32) } };
        var (_, next) = optimizer.Update(Zeros(parameters), state, parameters);
        Assert.Equal(DType.Int32, next["step"].DType);
        Assert.Equal(42.0, next["step"].Item());
    }

    [Fact]
    public void AScheduleGivingAnInvalidRateFailsTheUpdateNamingTheStep()
    {
        var optimizer = new Adam(new BrokenSchedule());
        var parameters = Parameters();
        var e = Assert.Throws<InvalidOperationException>(() => optimizer.Update(Zeros(parameters), optimizer.Init(parameters), parameters));
        Assert.Contains("Adam.Update: the learning-rate schedule broken gave NaN at step 0", e.Message);
    }

    [Fact]
    public void NullArgumentsAreRejected()
    {
        var optimizer = new Adam();
        var parameters = Parameters();
        var state = optimizer.Init(parameters);
        Assert.Throws<ArgumentNullException>(() => optimizer.Init(null!));
        Assert.Throws<ArgumentNullException>(() => optimizer.Update(null!, state, parameters));
        Assert.Throws<ArgumentNullException>(() => optimizer.Update(parameters, null!, parameters));
        Assert.Throws<ArgumentNullException>(() => optimizer.Update(parameters, state, null!));
        Assert.Throws<ArgumentNullException>(() => GradientClipping.ClipByGlobalNorm(null!, 1.0));
    }

    private static IOptimizer Create(string name) => name switch
    {
        "sgd" => new Sgd(0.1, momentum: 0.9, nesterov: true),
        "rmsprop" => new RmsProp(momentum: 0.9, centered: true),
        "adam" => new Adam(amsgrad: true),
        "adamw" => new AdamW(amsgrad: true),
        "adadelta" => new Adadelta(),
        "adamax" => new Adamax(),
        "nadam" => new NAdam(),
        "adagrad" => new Adagrad(),
        _ => throw new ArgumentException(name),
    };

    private static string Owner(IOptimizer optimizer) => optimizer.GetType().Name;

    private static TensorTree Parameters() => new()
    {
        { "w", Tensor.Ones([3, 2], DType.Float64) },
        { "b", Tensor.Ones([2], DType.Float64) },
    };

    private static TensorTree Zeros(TensorTree like) => like.Map(Tensor.ZerosLike);

    private sealed class BrokenSchedule : Schedule
    {
        public override double At(int step) => double.NaN;

        public override string ToString() => "broken";
    }
}
