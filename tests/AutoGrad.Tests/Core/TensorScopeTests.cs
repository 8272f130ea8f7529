using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Tests.Core;

/// <summary>Buffer release by <see cref="TensorScope"/>: what is released, what is kept, and that a use after release fails loudly.</summary>
public class TensorScopeTests
{
    [Fact]
    public void TensorsCreatedInAScopeAreReleasedWhenItEnds()
    {
        Tensor inner;
        using (var scope = TensorScope.Begin())
        {
            inner = Tensor.FromArray(new[] { 1.0, 2.0, 3.0 }) * 2.0;
            Assert.Equal(new[] { 2.0, 4.0, 6.0 }, inner.ToDoubleArray());
            Assert.True(scope.OwnedCount >= 2);
        }

        var error = Assert.Throws<ObjectDisposedException>(() => inner.ToDoubleArray());
        Assert.Contains("TensorScopeTests.cs", error.Message); // names the scope that released it
        var opError = Assert.Throws<ObjectDisposedException>(() => inner + 1.0);
        Assert.Contains("Add", opError.Message);
        Assert.Contains("[3]", opError.Message);
    }

    [Fact]
    public void KeptTensorsSurviveAndBelongToTheEnclosingScope()
    {
        Tensor kept, view;
        using (var outer = TensorScope.Begin())
        {
            using (var inner = TensorScope.Begin())
            {
                kept = inner.Keep(Tensor.Arange(0, 6, dtype: DType.Float64).Reshape([2, 3]));
                view = kept.Reshape([3, 2]);
                _ = kept * 3.0; // released with inner
            }

            Assert.Equal(1, outer.OwnedCount); // the kept buffer moved into outer; the product was released
            Assert.Equal(15.0, kept.Sum().Item());
            Assert.Equal(15.0, view.Sum().Item()); // a view shares the kept buffer
        }

        Assert.Throws<ObjectDisposedException>(() => kept.ToDoubleArray());
    }

    [Fact]
    public void TensorsCreatedOutsideAnyScopeAreNeverReleasedByOne()
    {
        var outside = Tensor.FromArray(new[] { 1.0f, 2.0f });
        using (TensorScope.Begin())
        {
            _ = outside * 2.0;
            _ = outside.Exp();
        }

        Assert.Equal(new[] { 1.0f, 2.0f }, outside.ToFloatArray());
    }

    [Fact]
    public void ReleasedBuffersAreReusedWithCorrectContents()
    {
        const int n = 4096; // large enough to be pooled
        for (int round = 0; round < 3; round++)
        {
            using (TensorScope.Begin())
            {
                var ones = Tensor.Ones([n]);
                var twos = ones + ones;
                Assert.Equal(2.0 * n, twos.Sum().Item());
            }

            using (TensorScope.Begin())
            {
                // A reused buffer must be zero-filled for ops that need it, and fully overwritten by the others.
                Assert.Equal(0.0, Tensor.Zeros([n]).Sum().Item());
                Assert.Equal(3.0 * n, (Tensor.Ones([n]) * 3.0).Sum().Item());
            }
        }
    }

    [Fact]
    public void ReleaseOfATreeSparesLeavesSharedWithTheExceptTree()
    {
        var shared = Tensor.Ones([3]);
        var old = new TensorTree { { "a", Tensor.Ones([3]) * 2.0 }, { "b", shared } };
        var next = new TensorTree { { "a", Tensor.Zeros([3]) }, { "b", shared.Reshape([1, 3]) } };
        TensorScope.Release(old, except: next);
        Assert.Throws<ObjectDisposedException>(() => old["a"].Sum());
        Assert.Equal(3.0, old["b"].Sum().Item());
        Assert.Equal(3.0, next["b"].Sum().Item());
    }

    [Fact]
    public void ATrainingStepInAScopeKeepsOnlyTheNewParameters()
    {
        var w = Tensor.FromArray(new[] { 1.0, -2.0, 0.5 });
        var grad = Grad((Tensor t) => (t * t).Sum());
        for (int step = 0; step < 5; step++)
        {
            using var scope = TensorScope.Begin();
            var next = scope.Keep(w - grad(w) * 0.25);
            if (step > 0)
            {
                TensorScope.Release(w);
            }

            w = next;
        }

        // w ← w − 0.5·w each step: w·0.5⁵.
        Assert.Equal(new[] { 1.0 / 32, -2.0 / 32, 0.5 / 32 }, w.ToDoubleArray());
    }

    [Fact]
    public void ScopesMustEndInReverseOrder()
    {
        var outer = TensorScope.Begin();
        var inner = TensorScope.Begin();
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => outer.Dispose());
            Assert.Contains("reverse order", error.Message);
        }
        finally
        {
            inner.Dispose();
            outer.Dispose();
        }

        Assert.Null(TensorScope.Current);
    }

    [Fact]
    public void KeepingATracedResultKeepsItsValue()
    {
        var x = Tensor.FromArray(new[] { 0.5, 1.5 });
        Tensor g;
        using (var scope = TensorScope.Begin())
        {
            g = scope.Keep(Grad((Tensor t) => t.Sin().Sum())(x));
        }

        Assert.Equal(Math.Cos(0.5), g.ToDoubleArray()[0], 15);
        Assert.Equal(Math.Cos(1.5), g.ToDoubleArray()[1], 15);
    }

    [Fact]
    public void OperatorConstantsOutliveTheScopesTheyWereFirstUsedIn()
    {
        // Constants such as the 0.9 of y * 0.9 are shared between calls; ending the scope that first used one
        // must not release it under the next user, in either dtype and in a gradient (whose VJP reuses it).
        var x32 = Tensor.FromArray(new[] { 1f, 2f });
        var x64 = Tensor.FromArray(new[] { 1.0, 2.0 });
        for (int round = 0; round < 3; round++)
        {
            using var scope = TensorScope.Begin();
            Assert.Equal(new[] { 0.9f, 1.8f }, (x32 * 0.9).ToFloatArray());
            Assert.Equal(new[] { 1.5, 2.5 }, (x64 + 0.5).ToDoubleArray());
            Assert.Equal(new[] { 0.9, 0.9 }, Grad((Tensor t) => (t * 0.9).Sum())(x64).ToDoubleArray());
        }
    }

    [Fact]
    public void NestedScopesReleaseWhatTheyOwnWhenTheirListsAreReused()
    {
        // An ended scope hands its bookkeeping list to the thread's next scope: each must still release exactly its own buffers.
        var x = Tensor.FromArray(new[] { 1.0, 2.0 });
        Tensor a, b, c;
        using (var outer = TensorScope.Begin())
        {
            a = x * 2.0;
            using (TensorScope.Begin())
            {
                b = x * 3.0;
            }

            Assert.Throws<ObjectDisposedException>(() => b.ToDoubleArray());
            using (var second = TensorScope.Begin())
            {
                c = second.Keep(x * 4.0);
            }

            Assert.Equal(new[] { 2.0, 4.0 }, a.ToDoubleArray());
            Assert.Equal(new[] { 4.0, 8.0 }, c.ToDoubleArray());
            Assert.Equal(2, outer.OwnedCount);
        }

        Assert.Throws<ObjectDisposedException>(() => a.ToDoubleArray());
        Assert.Throws<ObjectDisposedException>(() => c.ToDoubleArray());
    }
}
