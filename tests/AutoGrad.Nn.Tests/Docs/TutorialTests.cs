using System.Text.RegularExpressions;
using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Training;
using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Nn.Tests.Docs;

/// <summary>
/// docs/tutorial.md, compiled and run: each code block of the tutorial must be, verbatim, the code between
/// the matching TUTORIAL-n markers below, and each runs here with checks on what it computes.
/// </summary>
public class TutorialTests
{
    private static readonly List<string> Printed = [];

    private static class Console
    {
        public static void WriteLine(object? value) => Printed.Add(value?.ToString() ?? "");
    }

    [Fact]
    public void Section1ThePerceptronAndItsLearningRule()
    {
        // TUTORIAL-1-BEGIN
        double[][] inputs = [[0, 0], [0, 1], [1, 0], [1, 1]];
        var and = Perceptron.Train(inputs, targets: [0, 0, 0, 1], learningRate: 1.0, maxEpochs: 100);
        Console.WriteLine($"AND: weights [{string.Join(", ", and.Weights)}], errors per epoch [{string.Join(", ", and.ErrorsPerEpoch)}]");

        var xor = Perceptron.Train(inputs, targets: [0, 1, 1, 0], learningRate: 1.0, maxEpochs: 100);
        Console.WriteLine($"XOR converged: {xor.Converged}; errors in the last epoch: {xor.ErrorsPerEpoch[^1]}");
        // TUTORIAL-1-END
        Assert.True(and.Converged);
        Assert.False(xor.Converged);
        Assert.True(xor.ErrorsPerEpoch[^1] > 0);
    }

    [Fact]
    public void Section2XorNeedsAHiddenLayer()
    {
        // TUTORIAL-2-BEGIN
        var x = Tensor.FromArray(new double[,] { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } });
        var y = Tensor.FromArray(new[] { 0.0, 1, 1, 0 }, [4, 1]);

        double Accuracy(Activation hidden)
        {
            var net = new Mlp([2, 3, 1], [hidden, Activation.Sigmoid], Nn.Init.Initializers.Normal(1.0));
            var p = net.Init(new Generator(1), DType.Float64);
            var grad = Grad((TensorTree q) => Loss.HalfMeanSquaredError(net.Apply(q, x), y));
            for (int step = 0; step < 5000; step++)
            {
                p = p.Zip(grad(p), (w, dw) => w - dw * 2.0);
            }

            return Metrics.Accuracy(net.Apply(p, x), Tensor.FromArray(new[] { 0, 1, 1, 0 }));
        }

        Console.WriteLine($"sigmoid hidden layer: {Accuracy(Activation.Sigmoid):P0}, linear hidden layer: {Accuracy(Activation.Linear):P0}");
        // TUTORIAL-2-END
        Assert.Equal(1.0, Accuracy(Activation.Sigmoid));
        Assert.True(Accuracy(Activation.Linear) <= 0.75);
    }

    [Fact]
    public void Section3SigmoidAndTheChainRule()
    {
        // TUTORIAL-3-BEGIN
        // y = σ(w·x + b). By the chain rule dy/dw = σ'(z)·x = y(1 − y)·x.
        double w = 0.8, b = -0.3, input = 1.5;
        double yValue = 1 / (1 + Math.Exp(-(w * input + b)));
        double byHand = yValue * (1 - yValue) * input;

        var dydw = Grad((Tensor wt) => (wt * input + b).Sigmoid())(Tensor.Scalar(w));
        Console.WriteLine($"by hand {byHand:R}, by Grad {dydw.Item():R}");
        // TUTORIAL-3-END
        Assert.Equal(byHand, dydw.Item(), 15);
    }

    [Fact]
    public void Section4BackpropagationIsGrad()
    {
        // TUTORIAL-4-BEGIN
        var rng = new Generator(7);
        var x = Tensor.FromArray(new double[,] { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } });
        var y = Tensor.FromArray(new[] { 0.0, 1, 1, 0 }, [4, 1]);
        var w1 = Tensor.RandomNormal([2, 3], rng, DType.Float64);
        var w2 = Tensor.RandomNormal([3, 1], rng, DType.Float64);

        // The classic hand-derived backward pass for E = ½Σ(y − ŷ)²:
        var a2 = x.MatMul(w1).Sigmoid();
        var yHat = a2.MatMul(w2).Sigmoid();
        var delta3 = (y - yHat) * yHat * (1.0 - yHat);
        var delta2 = delta3.MatMul(w2.Transpose()) * a2 * (1.0 - a2);

        // The same, by Grad: no backward code at all.
        var (g1, g2) = Grad((Tensor a, Tensor c) =>
        {
            var output = x.MatMul(a).Sigmoid().MatMul(c).Sigmoid();
            return ((y - output) * (y - output)).Sum() * 0.5;
        })(w1, w2);

        var gap = (g2 + a2.Transpose().MatMul(delta3)).Abs().Max().Item() + (g1 + x.Transpose().MatMul(delta2)).Abs().Max().Item();
        Console.WriteLine($"largest difference between Grad and the δ rule: {gap:E1}");
        // TUTORIAL-4-END
        Assert.True(gap < 1e-12);
    }

    [Fact]
    public void Section5TrainingMnist()
    {
        var data = Mnist.Load(Mnist.Fetch());
        double accuracy = TrainMnist(data, trainRows: 6000, epochs: 1);
        Assert.True(accuracy > 0.80, $"accuracy {accuracy}");
    }

    private static double TrainMnist((Dataset Train, Dataset Test) data, int trainRows, int epochs)
    {
        // TUTORIAL-5-BEGIN
        var (train, test) = data;
        train = train.Subset(Enumerable.Range(0, trainRows).ToArray());
        var net = new Mlp([784, 512, 10], [Activation.Sigmoid, Activation.Linear]);
        var parameters = net.Init(new Generator(0));
        var step = ValueAndGrad((TensorTree p, Batch b) => Loss.CrossEntropy(net.Apply(p, b.X), b.Y));

        var loader = new DataLoader(train, batchSize: 64, shuffle: true, generator: new Generator(1));
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            foreach (var batch in loader.Epoch())
            {
                var (loss, grads) = step(parameters, batch);
                parameters = parameters.Zip(grads, (w, dw) => w - dw * 0.5);
            }
        }

        var outputs = Trainer.Predict((p, inputs) => net.Apply(p, inputs), parameters, test);
        double accuracy = Metrics.Accuracy(outputs, test.Targets());
        Console.WriteLine($"test accuracy after {epochs} epoch(s) on {trainRows} images: {accuracy:P2}");
        // TUTORIAL-5-END
        return accuracy;
    }

    private static Func<TensorTree, Batch, (Tensor Value, TensorTree Grad)> ValueAndGrad(Func<TensorTree, Batch, Tensor> f) =>
        (p, b) => Transforms.ValueAndGrad((TensorTree q) => f(q, b))(p);

    [Fact]
    public void Section6CheckingGradientsNumerically()
    {
        // TUTORIAL-6-BEGIN
        // Any function of your own: compare its analytic gradient with central differences.
        Tensor MyLoss(Tensor w) => (w.Tanh() * w.Sin()).Sum() + w.Pow(3.0).Mean();
        var result = Numerical.GradCheck(MyLoss, Tensor.FromArray(new[] { 0.3, -1.2, 2.0 }));
        Console.WriteLine(result);

        // And a whole network's loss on real data, parameter by parameter.
        var iris = Datasets.Iris();
        var (features, labels) = iris.Rows([0, 50, 100], DType.Float64);
        var net = new Mlp([4, 5, 3], [Activation.Tanh, Activation.Linear]);
        var p = net.Init(new Generator(3), DType.Float64);
        var leaves = p.Leaves().Select(l => l.Value).ToArray();
        var check = Numerical.GradCheck(ws => Loss.CrossEntropy(net.Apply(p.WithLeaves(ws), features), labels), leaves);
        Console.WriteLine(check);
        // TUTORIAL-6-END
        Assert.True(result.Passed);
        Assert.True(check.Passed);
        Assert.Equal(4, check.Inputs.Count);
    }

    [Fact]
    public void EveryTutorialCodeBlockIsTheCodeThesTestsRun()
    {
        var doc = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "tutorial.md"));
        var blocks = Regex.Matches(doc, "```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
        var source = File.ReadAllText(Path.Combine(RepoRoot(), "tests", "AutoGrad.Nn.Tests", "Docs", "TutorialTests.cs"));
        Assert.Equal(6, blocks.Count);
        for (int i = 1; i <= blocks.Count; i++)
        {
            var region = Regex.Match(source, $"// TUTORIAL-{i}-BEGIN\n(.*?)\n\\s*// TUTORIAL-{i}-END", RegexOptions.Singleline).Groups[1].Value;
            Assert.Equal(Normalize(region), Normalize(blocks[i - 1]));
        }
    }

    private static string Normalize(string s) => string.Join("\n", s.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AutoGrad.sln")))
        {
            dir = dir.Parent;
        }

        return dir!.FullName;
    }
}
