using AutoGrad.Nn.Optim;
using Xunit;

namespace AutoGrad.Nn.Tests.Optim;

/// <summary>
/// Every configuration in Fixtures/optimizers.json (made with PyTorch by tools/make_optimizer_fixtures.py)
/// is replayed: the same starting parameters, PyTorch's gradients for each step, and the parameters after
/// each of the steps compared with PyTorch's.
/// </summary>
public class OptimizerFixtureTests
{
    /// <summary>Float64 tolerance, relative to each parameter (all stay away from 0 in the fixture); the largest error seen is below 2e-15.</summary>
    private const double Float64Tolerance = 1e-12;

    /// <summary>Float32 tolerance against float64 PyTorch: a few float32 roundings per step over five steps; the largest error seen is below 3e-6.</summary>
    private const double Float32Tolerance = 2e-5;

    public static TheoryData<string> ConfigNames => new(OptimizerFixture.Configs.Select(c => c.Name));

    public static TheoryData<string> OptimizerClasses => new(OptimizerFixture.Configs.Select(c => c.Optimizer).Distinct());

    [Fact]
    public void FixtureCoversEveryOptimizerScheduleAndClipping()
    {
        var configs = OptimizerFixture.Configs;
        Assert.Equal(
            new[] { "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam", "RMSprop", "SGD" },
            configs.Select(c => c.Optimizer).Distinct().Order().ToArray());
        Assert.Equal(
            new[] { "cosine", "exponential", "inverse_time", "linear_warmup", "step" },
            configs.Where(c => c.Schedule is not null).Select(c => c.Schedule!.Value.GetProperty("type").GetString()!).Distinct().Order().ToArray());
        Assert.Contains(configs, c => c.ClipMaxNorm is not null);
        Assert.All(configs, c => Assert.Equal(5, c.Steps.Count));
    }

    [Theory]
    [MemberData(nameof(ConfigNames))]
    public void Float64UpdatesMatchPyTorchAfterEveryStep(string name)
    {
        var config = OptimizerFixture.Config(name);
        var optimizer = OptimizerFixture.CreateOptimizer(config, out var schedule);
        var parameters = OptimizerFixture.InitialParameters();
        var state = optimizer.Init(parameters);
        for (int k = 0; k < config.Steps.Count; k++)
        {
            var step = config.Steps[k];
            Tolerance.AssertClose(step.LearningRate, schedule.At(k), Float64Tolerance, $"{name} step {k} learning rate");
            var gradients = OptimizerFixture.Tree(step.Gradients);
            if (config.ClipMaxNorm is { } maxNorm)
            {
                (gradients, double norm) = GradientClipping.ClipByGlobalNorm(gradients, maxNorm);
                Tolerance.AssertClose(step.GradNorm!.Value, norm, Float64Tolerance, $"{name} step {k} gradient norm");
            }

            (parameters, state) = optimizer.Update(gradients, state, parameters);
            Assert.Equal(k + 1, (int)state["step"].Item());
            foreach (var (path, value) in parameters.Leaves())
            {
                Assert.Equal(DType.Float64, value.DType);
                Tolerance.AssertClose(step.Parameters[path], value.ToDoubleArray(), Float64Tolerance, $"{name} step {k} parameter {path}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ConfigNames))]
    public void Float32UpdatesStayFloat32AndFollowPyTorchLoosely(string name)
    {
        var config = OptimizerFixture.Config(name);
        var optimizer = OptimizerFixture.CreateOptimizer(config, out _);
        var parameters = OptimizerFixture.InitialParameters(DType.Float32);
        var state = optimizer.Init(parameters);
        for (int k = 0; k < config.Steps.Count; k++)
        {
            var step = config.Steps[k];
            var gradients = OptimizerFixture.Tree(step.Gradients, DType.Float32);
            if (config.ClipMaxNorm is { } maxNorm)
            {
                (gradients, _) = GradientClipping.ClipByGlobalNorm(gradients, maxNorm);
            }

            (parameters, state) = optimizer.Update(gradients, state, parameters);
            foreach (var (path, value) in parameters.Leaves())
            {
                Assert.Equal(DType.Float32, value.DType);
                Tolerance.AssertClose(step.Parameters[path], value.ToDoubleArray(), Float32Tolerance, $"{name} float32 step {k} parameter {path}");
            }

            foreach (var (path, value) in state.Leaves().Where(l => l.Path != "step" && l.Path != "mu_product"))
            {
                Assert.True(value.DType == DType.Float32, $"{name}: state '{path}' is {value.DType}, expected float32");
            }
        }
    }

    [Theory]
    [MemberData(nameof(OptimizerClasses))]
    public void DefaultHyperParametersAreTorchDefaults(string optimizer)
    {
        var defaults = OptimizerFixture.Defaults(optimizer);
        double D(string key) => defaults.GetProperty(key).GetDouble();
        double Beta(int i) => defaults.GetProperty("betas")[i].GetDouble();
        bool B(string key) => defaults.GetProperty(key).GetBoolean();
        double Lr(Schedule s) => Assert.IsType<ConstantSchedule>(s).LearningRate;

        switch (optimizer)
        {
            case "SGD":
                var sgd = new Sgd(0.1);
                Assert.Equal((D("momentum"), D("dampening"), B("nesterov"), D("weight_decay")), (sgd.Momentum, sgd.Dampening, sgd.Nesterov, sgd.WeightDecay));
                break;
            case "RMSprop":
                var rms = new RmsProp();
                Assert.Equal((D("lr"), D("alpha"), D("eps"), D("momentum"), B("centered"), D("weight_decay")), (Lr(rms.LearningRate), rms.Alpha, rms.Eps, rms.Momentum, rms.Centered, rms.WeightDecay));
                break;
            case "Adam":
                var adam = new Adam();
                Assert.Equal((D("lr"), Beta(0), Beta(1), D("eps"), D("weight_decay"), B("amsgrad")), (Lr(adam.LearningRate), adam.Beta1, adam.Beta2, adam.Eps, adam.WeightDecay, adam.Amsgrad));
                break;
            case "AdamW":
                var adamW = new AdamW();
                Assert.Equal((D("lr"), Beta(0), Beta(1), D("eps"), D("weight_decay"), B("amsgrad")), (Lr(adamW.LearningRate), adamW.Beta1, adamW.Beta2, adamW.Eps, adamW.WeightDecay, adamW.Amsgrad));
                break;
            case "Adadelta":
                var adadelta = new Adadelta();
                Assert.Equal((D("lr"), D("rho"), D("eps"), D("weight_decay")), (Lr(adadelta.LearningRate), adadelta.Rho, adadelta.Eps, adadelta.WeightDecay));
                break;
            case "Adamax":
                var adamax = new Adamax();
                Assert.Equal((D("lr"), Beta(0), Beta(1), D("eps"), D("weight_decay")), (Lr(adamax.LearningRate), adamax.Beta1, adamax.Beta2, adamax.Eps, adamax.WeightDecay));
                break;
            case "NAdam":
                var nadam = new NAdam();
                Assert.Equal((D("lr"), Beta(0), Beta(1), D("eps"), D("weight_decay"), D("momentum_decay")), (Lr(nadam.LearningRate), nadam.Beta1, nadam.Beta2, nadam.Eps, nadam.WeightDecay, nadam.MomentumDecay));
                break;
            case "Adagrad":
                var adagrad = new Adagrad();
                Assert.Equal((D("lr"), D("lr_decay"), D("weight_decay"), D("initial_accumulator_value"), D("eps")), (Lr(adagrad.LearningRate), adagrad.LrDecay, adagrad.WeightDecay, adagrad.InitialAccumulatorValue, adagrad.Eps));
                break;
            default:
                Assert.Fail($"no defaults check for {optimizer}");
                break;
        }
    }
}
