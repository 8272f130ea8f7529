using AutoGrad.Tests.Support;
using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Tests.Autodiff;

/// <summary>CompiledStep: a compiled step that owns its state and updates it in place, invisibly to every tensor a caller holds.</summary>
public class CompiledStepTests
{
    private static TensorTree Params(int seed = 5)
    {
        var g = new Generator((ulong)seed);
        return new TensorTree
        {
            { "W1", Tensor.RandomNormal([6, 8], g, DType.Float64, std: 0.5) },
            { "b1", Tensor.RandomNormal([8], g, DType.Float64, std: 0.1) },
            { "W2", Tensor.RandomNormal([8, 3], g, DType.Float64, std: 0.5) },
            { "b2", Tensor.Zeros([3], DType.Float64) },
        };
    }

    private static (Tensor Loss, TensorTree Params) Sgd(TensorTree p, Tensor x, Tensor y)
    {
        var (loss, grads) = ValueAndGrad((TensorTree q) =>
            x.MatMulAdd(q["W1"], q["b1"]).Tanh().MatMulAdd(q["W2"], q["b2"]).SoftmaxCrossEntropy(y).Mean())(p);
        return (loss, p.Zip(grads, (w, dw) => Tensor.Axpby(1, w, -0.5, dw)));
    }

    private static (TensorTree State, TensorTree Outputs) Step(TensorTree state, TensorTree batch)
    {
        var (loss, next) = Sgd(state.Subtree("params"), batch["x"], batch["y"]);
        var count = state["count"] + 1.0;
        return (new TensorTree { { "params", next }, { "count", count } }, new TensorTree { { "loss", loss } });
    }

    private static TensorTree Batch(int i)
    {
        var g = new Generator((ulong)(100 + i));
        return new TensorTree
        {
            { "x", Tensor.RandomNormal([5, 6], g, DType.Float64) },
            { "y", Tensor.FromArray(Enumerable.Range(0, 5).Select(k => (k + i) % 3).ToArray()) },
        };
    }

    private static void AssertBitwise(Tensor expected, Tensor actual, string what) =>
        Assert.True(expected.ToDoubleArray().Select(BitConverter.DoubleToInt64Bits).SequenceEqual(actual.ToDoubleArray().Select(BitConverter.DoubleToInt64Bits)), what);

    [Fact]
    public void TrainingWithACompiledStepMatchesEagerBitwiseAndLeavesTheInitialStateAlone()
    {
        var initial = Params();
        var before = initial["W1"].ToDoubleArray();
        var step = new CompiledStep(new TensorTree { { "params", initial }, { "count", Tensor.Scalar(0.0) } }, Step);
        var eager = initial;
        for (int i = 0; i < 5; i++)
        {
            var batch = Batch(i);
            var (loss, next) = Sgd(eager, batch["x"], batch["y"]);
            var outputs = step.Run(batch);
            AssertBitwise(loss, outputs["loss"], $"loss at step {i}");
            eager = next;
        }

        var state = step.State;
        foreach (var (path, value) in eager.Leaves())
        {
            AssertBitwise(value, state["params." + path], $"'{path}' after five steps");
        }

        Assert.Equal(5.0, state["count"].Item());
        Assert.Equal(before, initial["W1"].ToDoubleArray());
    }

    [Fact]
    public void StateCopiesAndOutputsThatAreTheStateDoNotChangeWithLaterSteps()
    {
        var step = new CompiledStep(new TensorTree { { "params", Params() }, { "count", Tensor.Scalar(0.0) } }, (state, batch) =>
        {
            var (s, o) = Step(state, batch);
            o.Add("new params", s.Subtree("params")); // the new state, handed out as well
            o.Add("old count", state["count"]);        // an input that is state, handed out as it is
            return (s, o);
        });
        var first = step.Run(Batch(0));
        var snapshot = step.State;
        var w = first["new params.W1"].ToDoubleArray();
        var second = step.Run(Batch(1));
        step.Run(Batch(2));
        Assert.Equal(w, first["new params.W1"].ToDoubleArray());
        Assert.Equal(w, snapshot["params.W1"].ToDoubleArray());
        Assert.Equal(0.0, first["old count"].Item());
        Assert.Equal(1.0, second["old count"].Item());
        Assert.NotEqual(w, second["new params.W1"].ToDoubleArray());
        Assert.Equal(3.0, step.State["count"].Item());
    }

    [Fact]
    public void AStepThatChangesTheStateLayoutIsRejectedNamingTheLeaf()
    {
        var shape = new CompiledStep(new TensorTree { { "w", Tensor.Zeros([2], DType.Float64) } },
            (s, _) => (new TensorTree { { "w", Tensor.Zeros([3], DType.Float64) } }, new TensorTree()));
        var e = Assert.Throws<ArgumentException>(() => shape.Run(new TensorTree()));
        Assert.Contains("'w' is float64[3], but the state's is float64[2]", e.Message);
        Assert.Contains("CompiledStepTests.cs", e.Message);

        var structure = new CompiledStep(new TensorTree { { "w", Tensor.Zeros([2], DType.Float64) } },
            (s, _) => (new TensorTree { { "v", s["w"] } }, new TensorTree()));
        Assert.Contains("structure [w], got [v]", Assert.Throws<ArgumentException>(() => structure.Run(new TensorTree())).Message);
    }

    [Fact]
    public void RunUnderATransformIsRejected()
    {
        var step = new CompiledStep(new TensorTree { { "w", Tensor.Ones([2], DType.Float64) } },
            (s, i) => (new TensorTree { { "w", s["w"] * i["x"] } }, new TensorTree { { "y", (s["w"] * i["x"]).Sum() } }));
        var e = Assert.Throws<InvalidOperationException>(() =>
            Grad((Tensor x) => step.Run(new TensorTree { { "x", x } })["y"])(Tensor.Ones([2], DType.Float64)));
        Assert.Contains("cannot be differentiated", e.Message);
    }

    [Fact]
    public void ACompiledStepFitsALineByGradientDescent()
    {
        // y = 3x − 1 with a little structure: 16 points, one feature.
        var xs = Enumerable.Range(0, 16).Select(i => i / 8.0 - 1).ToArray();
        var x = Tensor.FromArray(xs, [16, 1]);
        var y = Tensor.FromArray(xs.Select(v => 3 * v - 1).ToArray(), [16, 1]);
        var w0 = Tensor.Zeros([1, 1], DType.Float64);
        var b0 = Tensor.Zeros([1], DType.Float64);
        double lastLoss = double.NaN;
        var step = new CompiledStep(new TensorTree { { "w", w0 }, { "b", b0 } }, (p, batch) =>
        {
            var (loss, g) = ValueAndGrad((TensorTree q) =>
                (batch["x"].MatMulAdd(q["w"], q["b"]) - batch["y"]).Pow(2).Mean())(p);
            var next = p.Zip(g, (value, grad) => Tensor.Axpby(1, value, -0.1, grad)); // p − 0.1·g in one pass
            return (next, new TensorTree { { "loss", loss } });
        });
        for (int epoch = 0; epoch < 200; epoch++)
        {
            using var scope = TensorScope.Begin(); // the step's outputs go back to the pool
            lastLoss = step.Run(new TensorTree { { "x", x }, { "y", y } })["loss"].Item();
        }

        var fitted = step.State; // copies: { w, b }
        Assert.True(lastLoss < 1e-4, $"loss {lastLoss}");
        Assert.Equal(3.0, fitted["w"].Item(), 2);
        Assert.Equal(-1.0, fitted["b"].Item(), 2);
    }

    [Fact]
    public void AfterARunFailsPartWayTheStepRefusesFurtherUse()
    {
        var step = new CompiledStep(new TensorTree { { "w", Tensor.FromArray(new[] { 1.0, 2.0 }) } },
            (s, i) => (new TensorTree { { "w", s["w"] * 2.0 } }, new TensorTree { { "g", s["w"].TakeAlongAxis(i["i"], 0) } }));
        step.Run(new TensorTree { { "i", Tensor.FromArray(new[] { 1, 0 }) } });
        Assert.Throws<TensorOpException>(() => step.Run(new TensorTree { { "i", Tensor.FromArray(new[] { 1, 9 }) } }));
        var e = Assert.Throws<InvalidOperationException>(() => step.Run(new TensorTree { { "i", Tensor.FromArray(new[] { 1, 0 }) } }));
        Assert.Contains("failed part-way", e.Message);
        Assert.Throws<InvalidOperationException>(() => step.State);
    }

    [Fact]
    public void ASteadyStateStepAllocatesLittleMoreThanItsOutputs()
    {
        var step = new CompiledStep(new TensorTree { { "params", Params() }, { "count", Tensor.Scalar(0.0) } }, Step);
        var batch = Batch(0);
        step.Run(batch);
        step.Run(batch);
        long before = GC.GetAllocatedBytesForCurrentThread();
        const int Calls = 50;
        for (int i = 0; i < Calls; i++)
        {
            step.Run(batch);
        }

        // The loss alone (a tree of two nodes, a tensor, its storage and its 1-element array: about 300 bytes); the state, four
        // parameters and a counter, is updated in place, and no kernel allocates.
        long perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / Calls;
        Assert.True(perCall < 400, $"a step allocated {perCall} bytes");
    }
}
