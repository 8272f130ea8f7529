using AutoGrad.Nn.Layers;
using Xunit;

namespace AutoGrad.Nn.Tests.Layers;

public class LayerTests
{
    [Fact]
    public void LinearComputesXWPlusB()
    {
        var layer = new Linear(2, 3);
        var p = new TensorTree
        {
            { "W", Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } }) },
            { "b", Tensor.FromArray(new[] { 0.5, 0, -0.5 }) },
        };
        var y = layer.Apply(p, Tensor.FromArray(new double[,] { { 1, 1 }, { 0, 2 } }));
        Assert.Equal([5.5, 7, 8.5, 8.5, 10, 11.5], y.ToDoubleArray());
    }

    [Fact]
    public void LinearRejectsTheWrongNumberOfFeaturesAtTheCallersLine()
    {
        var layer = new Linear(4, 2);
        var p = layer.Init(new Generator(1), DType.Float64);
        var ex = Assert.Throws<TensorOpException>(() => layer.Apply(p, Tensor.Zeros([3, 5], DType.Float64)));
        Assert.StartsWith("Linear at LayerTests.cs:", ex.Message);
        Assert.Contains("input float64[3,5] must end in 4 features (layer 4 → 2)", ex.Message);
    }

    [Fact]
    public void MlpHasTheSeedNetworksParameterCount()
    {
        var mlp = new Mlp([784, 512, 10], [Activation.Sigmoid, Activation.Linear]);
        Assert.Equal(407_050, mlp.ParameterCount);
        var p = mlp.Init(new Generator(0));
        Assert.Equal(407_050, p.Leaves().Sum(l => l.Value.Size));
        Assert.Equal(["0.W", "0.b", "1.W", "1.b"], p.Leaves().Select(l => l.Path));
        Assert.Equal(new Shape(2, 10), mlp.Apply(p, Tensor.Zeros([2, 784])).Shape);
    }

    [Fact]
    public void MlpWithOneActivationUsesItForHiddenLayersAndALinearOutput()
    {
        var mlp = new Mlp([2, 3, 3, 1], [Activation.Tanh]);
        Assert.Equal(["tanh", "tanh", "linear"], mlp.Activations.Select(a => a.Name));
        Assert.Throws<ArgumentException>(() => new Mlp([2, 3, 1], [Activation.Tanh, Activation.Tanh, Activation.Tanh]));
        Assert.Throws<ArgumentException>(() => new Mlp([2], [Activation.Tanh]));
        Assert.Throws<ArgumentException>(() => new Mlp([2, 0, 1], [Activation.Tanh]));
    }

    [Fact]
    public void MlpGradientsMatchFiniteDifferences()
    {
        var mlp = new Mlp([3, 4, 2], [Activation.Tanh, Activation.Sigmoid]);
        var p = mlp.Init(new Generator(4), DType.Float64);
        var x = Tensor.RandomNormal([5, 3], new Generator(5), DType.Float64);
        var leaves = p.Leaves().Select(l => l.Value).ToArray();
        var result = Numerical.GradCheck(ws => mlp.Apply(p.WithLeaves(ws), x).Sum(), leaves);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void EveryActivationParsesAndIsDifferentiableExceptStep()
    {
        var x = Tensor.FromArray(new[] { -1.3, 0.4, 2.1 });
        foreach (var name in Activation.Names)
        {
            var a = Activation.Parse(name);
            Assert.Equal(new Shape(3), a.Apply(x).Shape);
            if (name != "step")
            {
                var result = Numerical.GradCheck(t => a.Apply(t).Sum(), x);
                Assert.True(result.Passed, $"{name}: {result}");
            }
        }

        Assert.Equal([0.0, 1, 1], Activation.Step.Apply(x).ToDoubleArray());
        Assert.Equal(0.0, Transforms.Grad((Tensor t) => Activation.Step.Apply(t).Sum())(x).Sum().Item());
        Assert.Equal([-1.3 / (1 + Math.Exp(1.3)), 0.4 / (1 + Math.Exp(-0.4)), 2.1 / (1 + Math.Exp(-2.1))], Activation.Swish.Apply(x).ToDoubleArray().Select(v => Math.Round(v, 12)).ToArray(), new DoubleRounder());
        Assert.Throws<ArgumentException>(() => Activation.Parse("nope"));
    }

    private sealed class DoubleRounder : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) < 1e-11;

        public int GetHashCode(double v) => 0;
    }

    private static readonly double[][] TruthInputs = [[0, 0], [0, 1], [1, 0], [1, 1]];

    [Fact]
    public void PerceptronLearnsAndAndOr()
    {
        var and = Perceptron.Train(TruthInputs, [0, 0, 0, 1], learningRate: 0.5, maxEpochs: 100);
        Assert.True(and.Converged);
        Assert.Equal(0, and.ErrorsPerEpoch[^1]);
        var or = Perceptron.Train(TruthInputs, [0, 1, 1, 1]);
        Assert.True(or.Converged);
        var predicted = Perceptron.Predict(Tensor.FromArray(and.Weights), Tensor.FromArray(new double[,] { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } }));
        Assert.Equal([0.0, 0, 0, 1], predicted.ToDoubleArray());
    }

    [Fact]
    public void PerceptronCannotFitXor()
    {
        var xor = Perceptron.Train(TruthInputs, [0, 1, 1, 0], maxEpochs: 1000);
        Assert.False(xor.Converged);
        Assert.Equal(1000, xor.ErrorsPerEpoch.Count);
        Assert.All(xor.ErrorsPerEpoch, e => Assert.True(e > 0));
    }

    [Fact]
    public void PerceptronTakesBipolarTargetsAndMovesTheWeightsAsTheZeroOneRule()
    {
        var bipolar = Perceptron.Train(TruthInputs, [-1, -1, -1, 1], learningRate: 0.5);
        var zeroOne = Perceptron.Train(TruthInputs, [0, 0, 0, 1], learningRate: 0.5);
        Assert.Equal(Perceptron.Labels.Bipolar, bipolar.Labels);
        Assert.Equal(Perceptron.Labels.ZeroOne, zeroOne.Labels);
        Assert.True(bipolar.Converged);
        Assert.Equal(zeroOne.Weights, bipolar.Weights);
        Assert.Equal(zeroOne.ErrorsPerEpoch, bipolar.ErrorsPerEpoch);

        // Train and Predict speak the same types: int[] targets in, int[] classes out, in the training's convention.
        Assert.Equal([-1, -1, -1, 1], bipolar.Predict(TruthInputs));
        Assert.Equal([-1, -1, -1, 1], Perceptron.Predict(bipolar.Weights, TruthInputs, Perceptron.Labels.Bipolar));
        Assert.Equal([0, 0, 0, 1], zeroOne.Predict(TruthInputs));
        Assert.Equal([0, 0, 0, 1], Perceptron.Predict(zeroOne.Weights, TruthInputs));
        var x = Tensor.FromArray(new double[,] { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } });
        Assert.Equal([-1.0, -1, -1, 1], Perceptron.Predict(Tensor.FromArray(bipolar.Weights), x, Perceptron.Labels.Bipolar).ToDoubleArray());
    }

    [Fact]
    public void PerceptronAppliesTheLectureRuleOnAMisclassifiedSample()
    {
        // w = 0 classifies x = [2, 3] as +1 (w·x̃ = 0 ≥ 0); its class is y = −1, so w ← w + β·y·x̃ = −0.5·[1, 2, 3].
        var one = Perceptron.Train([[2.0, 3.0]], [-1], learningRate: 0.5, maxEpochs: 1);
        Assert.Equal([-0.5, -1.0, -1.5], one.Weights);
        Assert.Equal([1], one.ErrorsPerEpoch);
        Assert.Equal([-1], one.Predict([[2.0, 3.0]]));
    }

    [Fact]
    public void PerceptronTargetsMustFollowOneConvention()
    {
        Assert.Contains("targets must be -1 or +1 (bipolar) (inferred from the targets); target 1 is 0",
            Assert.Throws<ArgumentException>(() => Perceptron.Train(TruthInputs, [-1, 0, 1, 1])).Message);
        Assert.Contains("targets must be 0 or 1; target 0 is -1",
            Assert.Throws<ArgumentException>(() => Perceptron.Train(TruthInputs, [-1, 1, 1, 1], labels: Perceptron.Labels.ZeroOne)).Message);
        Assert.Contains("sample 0 has 3 features, the weights [bias, w₁, …] 2",
            Assert.Throws<ArgumentException>(() => Perceptron.Predict([0.0, 1, 1], [[1.0, 2, 3]])).Message);
    }

    [Fact]
    public void PerceptronRejectsBadInput()
    {
        Assert.Throws<ArgumentException>(() => Perceptron.Train(TruthInputs, [0, 1, 2, 0]));
        Assert.Throws<ArgumentException>(() => Perceptron.Train(TruthInputs, [0, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Perceptron.Train(TruthInputs, [0, 1, 1, 0], learningRate: double.NaN));
    }
}
