using AutoGrad.Backends.Cpu;
using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Tests.Core;

/// <summary>
/// <see cref="Tensor.Donate"/>: which ops take a donated buffer, that the result is what a fresh buffer would have
/// held, that the donor and its views fail loudly afterwards, and that nothing a transform records is ever overwritten.
/// </summary>
public class DonationTests
{
    private static double[] Values(int n, double scale) => Enumerable.Range(0, n).Select(i => scale * (i - n / 3.0)).ToArray();

    /// <summary>The array under a concrete tensor, to see whether two tensors share one buffer.</summary>
    private static Array Buffer(Tensor t) => t.ConcreteStorage switch
    {
        CpuStorage<double> d => d.Data,
        CpuStorage<float> f => f.Data,
        var s => throw new InvalidOperationException($"unexpected storage {s}"),
    };

    public static TheoryData<string> ElementwiseOps => new("add", "mul-scalar", "tanh", "axpby", "axpby-square", "adaptive-step", "maximum");

    private static Tensor Apply(string op, Tensor a, Tensor b) => op switch
    {
        "add" => a + b,
        "mul-scalar" => a * 0.5,
        "tanh" => a.Tanh(),
        "axpby" => Tensor.Axpby(0.9, a, -0.1, b),
        "axpby-square" => Tensor.AxpbySquare(0.99, a, 0.01, b),
        "adaptive-step" => Tensor.AdaptiveStep(a, 0.01, b, b * b, 0.5, 1e-8),
        "maximum" => a.Maximum(b),
        _ => throw new ArgumentException(op),
    };

    [Theory]
    [MemberData(nameof(ElementwiseOps))]
    public void AnElementwiseOpWritesOverADonatedInputAndGivesTheSameValues(string op)
    {
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            foreach (int n in new[] { 1, 7, 1000, 70001 })
            {
                var a = Tensor.FromArray(Values(n, 0.01), [n]).To(dtype);
                var b = Tensor.FromArray(Values(n, -0.02), [n]).To(dtype);
                var expected = Apply(op, a, b).ToDoubleArray();

                var donor = Tensor.FromArray(Values(n, 0.01), [n]).To(dtype);
                var buffer = Buffer(donor);
                var result = Apply(op, donor.Donate(), b);

                Assert.Equal(expected, result.ToDoubleArray()); // bitwise: the same kernel, in place
                Assert.Same(buffer, Buffer(result));
                var error = Assert.Throws<ObjectDisposedException>(() => donor.ToDoubleArray());
                Assert.Contains("donated to", error.Message);
                Assert.Contains("Tensor.Donate", error.Message);
            }
        }
    }

    [Fact]
    public void AViewOfADonatedTensorFailsAfterTheOpInsteadOfSeeingNewValues()
    {
        var donor = Tensor.FromArray(Values(12, 1), [3, 4]);
        var view = donor.Reshape([12]);
        var result = donor.Donate() * 2.0;
        Assert.Equal(Values(12, 2), result.ToDoubleArray());
        var error = Assert.Throws<ObjectDisposedException>(() => view + 1.0);
        Assert.Contains("donated to Mul", error.Message);
        Assert.Contains("DonationTests.cs", error.Message); // the use that failed is named by file
    }

    [Fact]
    public void ADonatedTensorStaysValidUntilAnOpOfItsShapeAndDTypeTakesIt()
    {
        var donor = Tensor.FromArray(Values(6, 1), [2, 3]).Donate();
        var buffer = Buffer(donor);

        var sum = donor.Sum();                                  // another shape: not taken
        var wide = donor + Tensor.Zeros([4, 2, 3], DType.Float64); // broadcast to a larger result: not taken
        var cast = donor.To(DType.Float32);                     // another dtype: not taken
        Assert.Equal(Values(6, 1).Sum(), sum.Item(), 12);
        Assert.Equal(24, wide.Size);
        Assert.Equal(6, cast.Size);
        Assert.Equal(Values(6, 1), donor.ToDoubleArray());

        var taken = donor - 1.0;
        Assert.Same(buffer, Buffer(taken));
        Assert.Throws<ObjectDisposedException>(() => donor.Sum());
    }

    [Fact]
    public void AnInputReadingTheDonatedBufferWithAnotherShapeKeepsTheBufferFresh()
    {
        var donor = Tensor.FromArray(Values(16, 1), [1, 4, 4]);
        var alias = donor.Reshape([4, 4]);
        var result = donor.Donate() + alias;
        Assert.Equal(Values(16, 2), result.ToDoubleArray());
        Assert.Equal(Values(16, 1), donor.ToDoubleArray()); // not taken: the alias is read broadcast to [1, 4, 4]
    }

    [Fact]
    public void OpsUnderATransformNeverTakeADonatedBuffer()
    {
        // A constant donated inside the function is not taken either: the tape may read it (here, for the VJP of x · scaled).
        var w = Tensor.FromArray(new[] { 0.5, -1.5, 2.0 });
        var x0 = Tensor.FromArray(new[] { 1.0, 2.0, 3.0 });
        var g = Grad((Tensor x) => (x * (w.Donate() * 3.0)).Sum() + (x * x).Sum())(x0);
        Assert.Equal(new[] { 1.5 + 2, -4.5 + 4, 6.0 + 6 }, g.ToDoubleArray());
        Assert.Equal(new[] { 0.5, -1.5, 2.0 }, w.ToDoubleArray());

        // One donated outside and read by the tape (through x * w2) must survive the backward pass, whose VJPs
        // (g · w2) are ops on concrete tensors of its shape.
        var w2 = Tensor.FromArray(new[] { 0.5, -1.5, 2.0 });
        var buffer = Buffer(w2);
        w2.Donate();
        var g2 = Grad((Tensor x) => (x * w2).Sum() + ((x * w2) * (x * w2)).Sum())(x0);
        Assert.Equal(new[] { 0.5 + 2 * 0.25, -1.5 + 2 * 2 * 2.25, 2.0 + 2 * 3 * 4 }, g2.ToDoubleArray());
        Assert.Equal(new[] { 0.5, -1.5, 2.0 }, w2.ToDoubleArray()); // read by the tape, so never taken
        Assert.Same(buffer, Buffer(w2));
    }

    [Fact]
    public void DonatingATracedTensorDoesNothing()
    {
        var g = Grad((Tensor x) => (x.Donate() * 2.0 + x).Sum())(Tensor.FromArray(new[] { 1.0, 2.0 }));
        Assert.Equal(new[] { 3.0, 3.0 }, g.ToDoubleArray());
    }

    [Fact]
    public void DonatingAReleasedTensorIsAnError()
    {
        Tensor t;
        using (TensorScope.Begin())
        {
            t = Tensor.FromArray(Values(300, 1), [300]) * 1.0;
        }

        var error = Assert.Throws<TensorOpException>(() => t.Donate());
        Assert.Contains("Donate", error.Message);
        Assert.Contains("DonationTests.cs", error.Message);
    }

    [Fact]
    public void ATakenBufferBelongsToTheScopeOfTheOpThatTookIt()
    {
        var donor = Tensor.FromArray(Values(512, 1), [512]) * 1.0; // outside any scope: the GC's
        Tensor result;
        using (TensorScope.Begin())
        {
            result = donor.Donate() * 2.0;
            Assert.Equal(Values(512, 2), result.ToDoubleArray());
        }

        Assert.Throws<ObjectDisposedException>(() => result.ToDoubleArray()); // released with the scope
        Assert.Throws<ObjectDisposedException>(() => donor.ToDoubleArray());  // donated before that
    }
}
