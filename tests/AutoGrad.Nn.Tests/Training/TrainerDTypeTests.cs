using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Optim;
using AutoGrad.Nn.Training;
using Xunit;

namespace AutoGrad.Nn.Tests.Training;

/// <summary>The batches follow the parameters' dtype: float64 parameters need no second setting.</summary>
public class TrainerDTypeTests
{
    private static readonly Mlp Net = new([4, 5, 3], [Activation.Tanh]);

    [Fact]
    public void Float64ParametersTrainWithoutSettingTheBatchDType()
    {
        var parameters = Net.Init(new Generator(1), DType.Float64);
        var result = Trainer.Fit((p, x) => Net.Apply(p, x), parameters, (o, y) => Loss.CrossEntropy(o, y), new Adam(0.01), Datasets.Iris(),
            new TrainOptions { Epochs = 3, BatchSize = 16, Seed = 1 });
        Assert.Equal(DType.Float64, result.Parameters["0.W"].DType);
        Assert.True(result.History.Epochs[^1].Loss < result.History.Epochs[0].Loss);
        var (loss, accuracy) = Trainer.Evaluate((p, x) => Net.Apply(p, x), result.Parameters, (o, y) => Loss.CrossEntropy(o, y), Datasets.Iris());
        Assert.True(double.IsFinite(loss) && accuracy > 0.5);
        Assert.Equal(DType.Float64, Trainer.Predict((p, x) => Net.Apply(p, x), result.Parameters, Datasets.Iris()).DType);
    }

    [Fact]
    public void ABatchDTypeOtherThanTheParametersIsRefusedNamingTheOption()
    {
        var parameters = Net.Init(new Generator(1), DType.Float64);
        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit((p, x) => Net.Apply(p, x), parameters, (o, y) => Loss.CrossEntropy(o, y), new Adam(0.01),
            Datasets.Iris(), new TrainOptions { Epochs = 1, DType = DType.Float32 }));
        Assert.Contains("the batches' dtype float32 (TrainOptions.DType, or the dtype argument) differs from the parameters' float64 ('0.W')", e.Message);
    }

    [Fact]
    public void AnExplicitMatchingDTypeIsTheSameRunBitForBit()
    {
        TrainResult Run(DType? dtype) => Trainer.Fit((p, x) => Net.Apply(p, x), Net.Init(new Generator(2)), (o, y) => Loss.CrossEntropy(o, y), new Sgd(0.1),
            Datasets.Iris(), new TrainOptions { Epochs = 2, BatchSize = 32, Seed = 3, DType = dtype });
        Assert.Equal(Run(null).Parameters["1.W"].ToFloatArray(), Run(DType.Float32).Parameters["1.W"].ToFloatArray());
    }
}
