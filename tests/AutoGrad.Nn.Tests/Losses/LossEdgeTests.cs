using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Serialization;
using AutoGrad.Nn.Tests.Training;
using AutoGrad.Nn.Training;
using Xunit;

namespace AutoGrad.Nn.Tests.Losses;

/// <summary>Edges found in review: saturated probabilities, zero vectors, subsets, resumed training, malformed files.</summary>
public class LossEdgeTests
{
    [Fact]
    public void BinaryCrossEntropyOnSaturatedProbabilitiesHasFiniteGradients()
    {
        var p = Tensor.FromArray(new[] { 0.0, 1.0, 0.3 });
        var t = Tensor.FromArray(new[] { 0.0, 1.0, 1.0 });
        var g = Transforms.Grad((Tensor q) => Loss.BinaryCrossEntropy(q, t))(p).ToDoubleArray();
        Assert.All(g, v => Assert.True(double.IsFinite(v)));
        Assert.Equal(-Math.Log(0.3) / 3, Loss.BinaryCrossEntropy(p, t).Item(), 12);
        Assert.Equal(100.0 / 3, Loss.BinaryCrossEntropy(Tensor.FromArray(new[] { 0.0, 1, 1 }), Tensor.FromArray(new[] { 1.0, 1, 1 })).Item(), 10);
    }

    [Fact]
    public void CosineSimilarityOfAZeroRowHasFiniteGradients()
    {
        var p = Tensor.FromArray(new double[,] { { 0, 0 }, { 1, 2 } });
        var t = Tensor.FromArray(new double[,] { { 1, 1 }, { 2, 1 } });
        var g = Transforms.Grad((Tensor q) => Loss.CosineSimilarity(q, t))(p).ToDoubleArray();
        Assert.All(g, v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void SubsetsKeepTheClassCountOfTheirDataset()
    {
        var data = Dataset.Classification("d", [1, 2, 3], 1, [0, 1, 2]);
        Assert.Equal(3, data.Subset([0, 1]).ClassCount);
        Assert.Equal(3, Datasets.Iris().Subset([0]).ClassCount);
    }

    [Fact]
    public void ModelFitContinuesFromItsOptimizerState()
    {
        var model = new Model(new Mlp([2, 3, 2], [Activation.Tanh]), new Generator(1))
            .Compile(new Nn.Optim.Adam(0.05), (o, y) => Loss.CrossEntropy(o, y));
        var first = model.Fit(Datasets.Xor(), epochs: 100, batchSize: 4);
        var second = model.Fit(Datasets.Xor(), epochs: 1, batchSize: 4);
        Assert.True(second.Epochs[0].LearningRate is not null);
        Assert.True(second.Epochs[0].Loss <= first.Epochs[^1].Loss * 1.5, "a resumed fit should not start over");
    }

    [Fact]
    public void AValidationSetAndASplitTogetherAreRejected()
    {
        var net = new Mlp([2, 2], [Activation.Linear]);
        Assert.Throws<ArgumentException>(() => Trainer.Fit((p, x) => net.Apply(p, x), net.Init(new Generator(1)), (o, y) => Loss.CrossEntropy(o, y),
            new GradientDescent(0.1), Datasets.Iris().Subset([0, 1, 2, 3]).Subset([0]), new TrainOptions { ValidationSplit = 0.5 }, validation: Datasets.Xor()));
    }

    [Fact]
    public void CsvHandlesQuotesAndRejectsStrayTextInANumericTarget()
    {
        var quoted = Csv.Parse(["\"a\",\"b, with comma\",\"species\"", "1,2,\"setosa\"", "3,4,\"virginica\""], "q", target: "species");
        Assert.Equal(["setosa", "virginica"], quoted.ClassNames);
        var stray = Assert.Throws<InvalidDataException>(() => Csv.Parse(["x,y", "1,2.5", "2,NA", "3,4"], "s", source: "s.csv"));
        Assert.Contains("s.csv:3: target column 'y' has 'NA' among numbers", stray.Message);
        Assert.Contains("not a whole number", Assert.Throws<InvalidDataException>(() => Csv.Parse(["x,y", "1,0", "2,1.5"], "c", classification: true)).Message);
        Assert.Contains("not finite", Assert.Throws<InvalidDataException>(() => Csv.Parse(["x,y", "1,0", "2,1e39"], "c")).Message);
    }

    [Fact]
    public void SafeTensorsRejectsEntriesWithoutShapesAndDuplicatedNames()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ag-{Guid.NewGuid():N}.safetensors");
        try
        {
            void Write(string json)
            {
                var header = System.Text.Encoding.UTF8.GetBytes(json);
                File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. new byte[8]]);
            }

            Write("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}");
            Assert.Contains("lacks a valid dtype, shape or data_offsets", Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path)).Message);
            Write("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1,2],\"data_offsets\":[0,4]}}");
            Assert.Contains("shape must be an array of non-negative integers, got -1", Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path)).Message);
            Write("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a.b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}");
            Assert.Contains("tensor 'a.b' nests under the tensor 'a'", Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
