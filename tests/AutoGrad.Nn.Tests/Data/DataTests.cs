using System.Buffers.Binary;
using AutoGrad.Nn.Data;
using Xunit;

namespace AutoGrad.Nn.Tests.Data;

public class DataTests
{
    private static byte[] IdxBytes(byte type, int[] dims, byte[] payload)
    {
        var header = new byte[4 + 4 * dims.Length];
        header[2] = type;
        header[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dims[i]);
        }

        return [.. header, .. payload];
    }

    [Fact]
    public void IdxReadsUnsignedBytesAndBigEndianTypes()
    {
        var a = Idx.Parse(IdxBytes(0x08, [2, 2], [0, 1, 254, 255]), "test");
        Assert.Equal([2, 2], a.Dims);
        Assert.Equal([0.0, 1, 254, 255], a.Values);
        var f = new byte[4];
        BinaryPrimitives.WriteSingleBigEndian(f, 1.5f);
        Assert.Equal([1.5], Idx.Parse(IdxBytes(0x0D, [1], f), "test").Values);
        var i = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(i, -7);
        Assert.Equal([-7.0], Idx.Parse(IdxBytes(0x0C, [1], i), "test").Values);
    }

    [Fact]
    public void IdxReportsTruncatedAndMalformedFiles()
    {
        var truncated = Assert.Throws<InvalidDataException>(() => Idx.Parse(IdxBytes(0x08, [2, 3], [1, 2, 3]), "images"));
        Assert.Contains("images: the header promises [2,3] (18 bytes) but the file has 15 bytes (truncated)", truncated.Message);
        Assert.Contains("not an IDX file", Assert.Throws<InvalidDataException>(() => Idx.Parse([1, 2, 3, 4], "x")).Message);
        Assert.Contains("unknown IDX element type 0x07", Assert.Throws<InvalidDataException>(() => Idx.Parse(IdxBytes(0x07, [1], [0]), "x")).Message);
        Assert.Contains("truncated header", Assert.Throws<InvalidDataException>(() => Idx.Parse([0, 0, 8, 3, 0, 0], "x")).Message);
    }

    [Fact]
    public void MnistLoadRejectsInconsistentFiles()
    {
        var dir = Directory.CreateTempSubdirectory("mnist-bad").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "train-images-idx3-ubyte"), IdxBytes(0x08, [2, 2, 2], new byte[8]));
            File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte"), IdxBytes(0x08, [3], [1, 2, 3]));
            File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte"), IdxBytes(0x08, [1, 2, 2], new byte[4]));
            File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte"), IdxBytes(0x08, [1], [4]));
            var ex = Assert.Throws<InvalidDataException>(() => Mnist.Load(dir));
            Assert.Contains("inconsistent files, images [2,2,2] and labels [3]", ex.Message);

            File.Delete(Path.Combine(dir, "t10k-labels-idx1-ubyte"));
            var missing = Assert.Throws<FileNotFoundException>(() => Mnist.Load(dir));
            Assert.Contains("lacks t10k-labels-idx1-ubyte", missing.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void MnistLoadsSmallWellFormedFiles()
    {
        var dir = Directory.CreateTempSubdirectory("mnist-ok").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "train-images-idx3-ubyte"), IdxBytes(0x08, [2, 2, 2], [0, 255, 51, 102, 0, 0, 0, 0]));
            File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte"), IdxBytes(0x08, [2], [3, 9]));
            File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte"), IdxBytes(0x08, [1, 2, 2], [0, 0, 0, 0]));
            File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte"), IdxBytes(0x08, [1], [7]));
            var (train, test) = Mnist.Load(dir);
            Assert.Equal(2, train.Count);
            Assert.Equal(4, train.FeatureCount);
            Assert.Equal([3, 9], train.Labels);
            Assert.Equal([0.0f, 1, 0.2f, 0.4f], train.Features().ToFloatArray()[..4]);
            Assert.Equal(10, test.ClassCount);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void IrisIsEmbeddedWithAllOneHundredFiftyRows()
    {
        var iris = Datasets.Iris();
        Assert.Equal(150, iris.Count);
        Assert.Equal(4, iris.FeatureCount);
        Assert.Equal(["setosa", "versicolor", "virginica"], iris.ClassNames);
        Assert.Equal(50, iris.Labels.Count(l => l == 2));
        Assert.Equal([5.1f, 3.5f, 1.4f, 0.2f], iris.Rows([0]).X.ToFloatArray());
    }

    [Fact]
    public void TruthTablesAndRegressionSetsHaveTheirDefinitions()
    {
        Assert.Equal([0, 1, 1, 0], Datasets.Xor().Labels);
        Assert.Equal([0, 0, 0, 1], Datasets.And().Labels);
        Assert.Equal([0, 1, 1, 1], Datasets.Or().Labels);
        var map = Datasets.LinearMap(50, new Generator(1));
        var (x, y) = map.Rows(Enumerable.Range(0, 50).ToArray(), DType.Float64);
        var expected = x.MatMul(Tensor.FromArray(Datasets.LinearMapMatrix).Transpose()).ToDoubleArray();
        Assert.All(expected.Zip(y.ToDoubleArray()), p => Assert.Equal(p.First, p.Second, 5));
        var salary = Datasets.Salary(200, new Generator(2));
        Assert.Equal(2, salary.FeatureCount);
        Assert.False(salary.IsClassification);
        Assert.Equal(Datasets.Salary(200, new Generator(2)).Targets().ToFloatArray(), salary.Targets().ToFloatArray());
    }

    [Fact]
    public void CsvLoadsClassificationAndRegressionAndReportsBadCells()
    {
        var cls = Csv.Parse(["a,b,kind", "1,2,cat", "3,4,dog", "5,6,cat"], "pets");
        Assert.True(cls.IsClassification);
        Assert.Equal(["cat", "dog"], cls.ClassNames);
        Assert.Equal([0, 1, 0], cls.Labels);
        var reg = Csv.Parse(["x,y", "1,2.5", "2,4.5"], "line");
        Assert.False(reg.IsClassification);
        Assert.Equal([2.5f, 4.5f], reg.Targets().ToFloatArray());
        var byIndex = Csv.Parse(["y,x", "0,1", "1,2"], "first", target: "0", classification: true);
        Assert.Equal([0, 1], byIndex.Labels);
        var bad = Assert.Throws<InvalidDataException>(() => Csv.Parse(["a,b", "1,2", "x,3"], "bad", source: "bad.csv"));
        Assert.Equal("bad.csv:3: column 'a' has 'x', not a finite number", bad.Message);
        Assert.Contains("2 values, the header has 3", Assert.Throws<InvalidDataException>(() => Csv.Parse(["a,b,c", "1,2"], "short")).Message);
        Assert.Contains("no column 'z'", Assert.Throws<ArgumentException>(() => Csv.Parse(["a,b", "1,2"], "t", target: "z")).Message);
    }

    [Fact]
    public void DataLoaderShufflesWithoutReplacementAndReproducibly()
    {
        var data = Dataset.Regression("r", Enumerable.Range(0, 10).Select(i => (float)i).ToArray(), 1, new float[10], 1);
        var a = new DataLoader(data, 3, shuffle: true, generator: new Generator(7));
        var epoch1 = a.Epoch().SelectMany(b => b.X.ToFloatArray()).ToArray();
        var epoch2 = a.Epoch().SelectMany(b => b.X.ToFloatArray()).ToArray();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (float)i), epoch1.OrderBy(v => v));
        Assert.NotEqual(epoch1, epoch2);
        var b = new DataLoader(data, 3, shuffle: true, generator: new Generator(7));
        Assert.Equal(epoch1, b.Epoch().SelectMany(x => x.X.ToFloatArray()).ToArray());
        Assert.Equal(4, a.BatchCount);
        Assert.Equal(3, new DataLoader(data, 3, dropLast: true).BatchCount);
        Assert.Equal(1, new DataLoader(data, 100).BatchCount);
        Assert.Throws<ArgumentException>(() => new DataLoader(data, 3, shuffle: true));
    }

    [Fact]
    public void SplitAndStandardizeKeepRowsIntact()
    {
        var iris = Datasets.Iris();
        var (train, val) = iris.Split(0.2, new Generator(3));
        Assert.Equal(120, train.Count);
        Assert.Equal(30, val.Count);
        var (mean, std) = train.FeatureStatistics();
        var z = train.Standardize(mean, std);
        var (zm, zs) = z.FeatureStatistics();
        Assert.All(zm, m => Assert.InRange(m, -1e-5, 1e-5));
        Assert.All(zs, s => Assert.InRange(s, 0.9999, 1.0001));
        Assert.Throws<ArgumentOutOfRangeException>(() => iris.Split(1.5, new Generator(1)));
    }

    [Fact]
    public void DatasetsRejectNonFiniteFeaturesAndBadLabels()
    {
        Assert.Contains("is not finite", Assert.Throws<ArgumentException>(() => Dataset.Regression("r", [1, float.NaN], 1, [0, 0], 1)).Message);
        Assert.Contains("label 3 at row 1 is outside the 2 classes", Assert.Throws<ArgumentException>(() => Dataset.Classification("c", [1, 2], 1, [0, 3], ["a", "b"])).Message);
    }
}
