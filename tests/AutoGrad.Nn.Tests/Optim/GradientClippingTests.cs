using AutoGrad.Nn.Optim;
using FsCheck;
using FsCheck.Xunit;
using Xunit;

namespace AutoGrad.Nn.Tests.Optim;

/// <summary>Clipping by global norm against torch.nn.utils.clip_grad_norm_.</summary>
public class GradientClippingTests
{
    [Fact]
    public void ClipByGlobalNormMatchesTorchClipGradNormWhenScalingAndWhenNot()
    {
        int scaled = 0, unchanged = 0;
        foreach (var config in OptimizerFixture.Configs.Where(c => c.ClipMaxNorm is not null))
        {
            for (int k = 0; k < config.Steps.Count; k++)
            {
                var step = config.Steps[k];
                var (clipped, norm) = GradientClipping.ClipByGlobalNorm(OptimizerFixture.Tree(step.Gradients), config.ClipMaxNorm!.Value);
                Tolerance.AssertClose(step.GradNorm!.Value, norm, 1e-12, $"{config.Name} step {k} norm");
                foreach (var (path, value) in clipped.Leaves())
                {
                    Tolerance.AssertClose(step.ClippedGradients![path], value.ToDoubleArray(), 1e-12, $"{config.Name} step {k} clipped {path}");
                }

                if (norm > config.ClipMaxNorm)
                {
                    scaled++;
                }
                else
                {
                    unchanged++;
                }
            }
        }

        Assert.True(scaled > 0 && unchanged > 0, $"the fixture should exercise both cases: {scaled} scaled, {unchanged} unchanged");
    }

    [Fact]
    public void GradientsWithinTheMaxNormComeBackUnchangedAsANewTree()
    {
        var grads = new TensorTree { { "a", Tensor.FromArray(new[] { 0.3, -0.4 }) }, { "b", Tensor.FromArray(new[] { 1.2 }) } };
        var (clipped, norm) = GradientClipping.ClipByGlobalNorm(grads, maxNorm: 2.0);
        Assert.Equal(1.3, norm, 15);
        Assert.NotSame(grads, clipped);
        Assert.Equal(new[] { 0.3, -0.4 }, clipped["a"].ToDoubleArray());
        Assert.Equal(new[] { 1.2 }, clipped["b"].ToDoubleArray());
    }

    [Fact]
    public void ClippingScalesEveryLeafByOneFactorAndLeavesTheInputAlone()
    {
        var grads = new TensorTree
        {
            { "layer", new TensorTree { { "W", Tensor.FromArray(new[] { 3.0, 0.0 }) } } },
            { "b", Tensor.FromArray(new[] { 4.0 }) },
        };
        var (clipped, norm) = GradientClipping.ClipByGlobalNorm(grads, maxNorm: 1.0);
        Assert.Equal(5.0, norm);
        double scale = 1.0 / (5.0 + 1e-6);
        Assert.Equal(new[] { 3.0 * scale, 0.0 }, clipped["layer.W"].ToDoubleArray());
        Assert.Equal(new[] { 4.0 * scale }, clipped["b"].ToDoubleArray());
        Assert.Equal(new[] { 3.0, 0.0 }, grads["layer.W"].ToDoubleArray());
        Assert.Equal(new[] { 4.0 }, grads["b"].ToDoubleArray());
    }

    [Fact]
    public void Float32GradientsAreClippedInFloat32()
    {
        var grads = new TensorTree { { "g", Tensor.FromArray(new[] { 30f, 40f }) } };
        var (clipped, norm) = GradientClipping.ClipByGlobalNorm(grads, maxNorm: 5.0);
        Assert.Equal(50.0, norm);
        Assert.Equal(DType.Float32, clipped["g"].DType);
        Assert.Equal(new[] { 3f, 4f }, clipped["g"].ToFloatArray().Select(v => MathF.Round(v, 4)));
    }

    [Fact]
    public void AnEmptyTreeHasNormZero()
    {
        var (clipped, norm) = GradientClipping.ClipByGlobalNorm(new TensorTree(), 1.0);
        Assert.Equal(0.0, norm);
        Assert.Equal(0, clipped.LeafCount);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void ClipByGlobalNormRejectsAMaxNormThatIsNotPositiveAndFinite(double maxNorm)
    {
        var grads = new TensorTree { { "g", Tensor.FromArray(new[] { 1.0 }) } };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm(grads, maxNorm));
        Assert.Contains("ClipByGlobalNorm", e.Message);
        Assert.Contains("maxNorm", e.Message);
        Assert.Contains(maxNorm.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
    }

    [Fact]
    public void ClipByGlobalNormRejectsIntegerGradients()
    {
        var grads = new TensorTree { { "steps", Tensor.FromArray(new[] { 1, 2 }) } };
        var e = Assert.Throws<ArgumentException>(() => GradientClipping.ClipByGlobalNorm(grads, 1.0));
        Assert.Contains("'steps' is int32[2]", e.Message);
    }

    [Theory]
    [InlineData(0.5)]   // scales
    [InlineData(100.0)] // leaves the gradients as they are
    public void TheTraceableClippingGivesTheHostVersionsBitsEagerAndCompiled(double maxNorm)
    {
        var trees = new[]
        {
            new TensorTree { { "w", Tensor.FromArray(new[] { 0.3f, -1.25f, 2.5f, 0.125f }, [2, 2]) }, { "b", Tensor.FromArray(new[] { 0.1, -0.7 }) } },
            new TensorTree { { "w", Tensor.FromArray(new[] { 1e-3f, 2e-3f, -4e-3f, 0f }, [2, 2]) }, { "b", Tensor.FromArray(new[] { 0.0, 1e-4 }) } },
            new TensorTree { { "w", Tensor.FromArray(new[] { float.NaN, 1f, 2f, 3f }, [2, 2]) }, { "b", Tensor.FromArray(new[] { 1.0, 2.0 }) } },
            new TensorTree { { "w", Tensor.FromArray(new[] { float.PositiveInfinity, 1f, 2f, 3f }, [2, 2]) }, { "b", Tensor.FromArray(new[] { 1.0, 2.0 }) } },
        };
        int traces = 0;
        var compiled = Transforms.Jit(t =>
        {
            traces++;
            var (clipped, norm) = GradientClipping.ClipByGlobalNormTraceable(t, maxNorm);
            return new TensorTree { { "g", clipped }, { "norm", norm } };
        });
        foreach (var tree in trees)
        {
            var (expected, expectedNorm) = GradientClipping.ClipByGlobalNorm(tree, maxNorm);
            var (eager, eagerNorm) = GradientClipping.ClipByGlobalNormTraceable(tree, maxNorm);
            var replayed = compiled(tree);
            Assert.Equal(BitConverter.DoubleToInt64Bits(expectedNorm), BitConverter.DoubleToInt64Bits(eagerNorm.Item()));
            Assert.Equal(BitConverter.DoubleToInt64Bits(expectedNorm), BitConverter.DoubleToInt64Bits(replayed["norm"].Item()));
            foreach (var (path, e) in expected.Leaves())
            {
                var bits = e.ToDoubleArray().Select(BitConverter.DoubleToInt64Bits);
                Assert.Equal(bits, eager[path].ToDoubleArray().Select(BitConverter.DoubleToInt64Bits));
                Assert.Equal(bits, replayed.Subtree("g")[path].ToDoubleArray().Select(BitConverter.DoubleToInt64Bits));
            }
        }

        Assert.Equal(1, traces);
    }

    [Property]
    public bool ClippedGradientsHaveNormAtMostMaxNormAndKeepTheirDirection(NormalFloat[] a, NormalFloat[] b, PositiveInt maxNormTenths)
    {
        if (a.Length == 0 || b.Length == 0)
        {
            return true;
        }

        double maxNorm = maxNormTenths.Get / 10.0;
        var x = a.Select(v => v.Get % 1e6).ToArray();
        var y = b.Select(v => v.Get % 1e6).ToArray();
        var (clipped, norm) = GradientClipping.ClipByGlobalNorm(new TensorTree { { "x", Tensor.FromArray(x) }, { "y", Tensor.FromArray(y) } }, maxNorm);
        var cx = clipped["x"].ToDoubleArray();
        var cy = clipped["y"].ToDoubleArray();
        double expectedNorm = Math.Sqrt(x.Concat(y).Sum(v => v * v));
        double clippedNorm = Math.Sqrt(cx.Concat(cy).Sum(v => v * v));
        double scale = Math.Min(1, maxNorm / (expectedNorm + 1e-6));
        bool sameDirection = x.Zip(cx).Concat(y.Zip(cy)).All(p => Math.Abs(p.Second - p.First * scale) <= 1e-12 * Math.Abs(p.First) + 1e-300);
        return Math.Abs(norm - expectedNorm) <= 1e-12 * Math.Max(expectedNorm, 1e-300)
            && clippedNorm <= maxNorm * (1 + 1e-12)
            && sameDirection;
    }
}
