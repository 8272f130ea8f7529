using AutoGrad.Autodiff;
using AutoGrad.Tests.Support;
using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Tests.Autodiff;

/// <summary>
/// Transforms.Jit: a replay must give bitwise the values an eager run gives on the same inputs, for every op in the
/// table (forward and gradient), and must never freeze a value that depends on the inputs.
/// </summary>
public class JitTests
{
    /// <summary>Cases per op for <see cref="EveryOpReplaysBitwiseLikeEagerOnNewInputs"/>.</summary>
    public const int CasesPerOp = 25;

    public static TheoryData<string> AllOps => new(OpCases.All.Select(c => c.Name));

    private static TensorTree Tree(params Tensor[] leaves) => TensorTree.FromList(leaves.Select(TensorTree.Leaf));

    private static Tensor[] Leaves(TensorTree t) => t.Leaves().Select(l => l.Value).ToArray();

    private static void AssertBitwise(TensorTree expected, TensorTree actual, string what)
    {
        var e = expected.Leaves();
        var a = actual.Leaves();
        Assert.Equal(e.Count, a.Count);
        for (int i = 0; i < e.Count; i++)
        {
            Assert.True(e[i].Path == a[i].Path, $"{what}: leaf {i} is '{a[i].Path}', expected '{e[i].Path}'");
            Assert.True(e[i].Value.Shape == a[i].Value.Shape && e[i].Value.DType == a[i].Value.DType, $"{what}: leaf '{e[i].Path}' is {a[i].Value.DType}{a[i].Value.Shape}, expected {e[i].Value.DType}{e[i].Value.Shape}");
            var ev = e[i].Value.ToDoubleArray();
            var av = a[i].Value.ToDoubleArray();
            for (int k = 0; k < ev.Length; k++)
            {
                Assert.True(BitConverter.DoubleToInt64Bits(ev[k]) == BitConverter.DoubleToInt64Bits(av[k]) || (double.IsNaN(ev[k]) && double.IsNaN(av[k])),
                    $"{what}: leaf '{e[i].Path}' element {k} is {av[k]:R} replayed, {ev[k]:R} eager");
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllOps))]
    public void EveryOpReplaysBitwiseLikeEagerOnNewInputs(string op)
    {
        var c = OpCases.Get(op);
        PropertyRunner.Check(nameof(EveryOpReplaysBitwiseLikeEagerOnNewInputs), op, c.Samples, s =>
        {
            // The op's output and, for a differentiable op, the gradient of Σ y² for its float inputs: both the
            // forward kernels and the VJP's kernels are recorded.
            TensorTree Body(TensorTree t)
            {
                var xs = Leaves(t);
                var y = s.Apply(xs);
                var result = new TensorTree { { "y", y } };
                if (c.Differentiable && y.DType.IsFloating() && s.FloatInputs.Length > 0)
                {
                    var grads = Grad((Tensor[] fs) =>
                    {
                        var all = (Tensor[])xs.Clone();
                        for (int i = 0; i < fs.Length; i++)
                        {
                            all[s.FloatInputs[i]] = fs[i];
                        }

                        var v = s.Apply(all);
                        return (v * v).Sum();
                    })(s.FloatInputs.Select(i => xs[i]).ToArray());
                    result.Add("grads", TensorTree.FromList(grads.Select(TensorTree.Leaf)));
                }

                return result;
            }

            int traces = 0;
            var jitted = Jit(t =>
            {
                traces++;
                return Body(t);
            });
            var first = s.Tensors(DType.Float64);
            if (c.NotCompilable is { } reason)
            {
                var refused = Assert.Throws<JitTraceException>(() => jitted(Tree(first)));
                Assert.Contains(reason, refused.Message);
                Assert.Contains("OpCases", refused.Message); // the line that called the op
                return;
            }

            AssertBitwise(Body(Tree(first)), jitted(Tree(first)), $"{s} traced");

            // New inputs of the same shapes: float data moved by 0.1%, indices kept (they stay in range).
            var moved = first.Select((x, i) => s.Index(i) ? x : x * 1.001).ToArray();
            AssertBitwise(Body(Tree(moved)), jitted(Tree(moved)), $"{s} replayed on new inputs");
            Assert.True(traces == 1, $"{s}: traced {traces} times for one signature");
        }, CasesPerOp);
    }

    private static (TensorTree Params, Tensor X, Tensor Labels) MlpProblem(int batch, int seed = 5)
    {
        var g = new Generator((ulong)seed);
        var p = new TensorTree
        {
            { "W1", Tensor.RandomNormal([6, 8], g, DType.Float64, std: 0.5) },
            { "b1", Tensor.RandomNormal([8], g, DType.Float64, std: 0.1) },
            { "W2", Tensor.RandomNormal([8, 3], g, DType.Float64, std: 0.5) },
            { "b2", Tensor.Zeros([3], DType.Float64) },
        };
        var x = Tensor.RandomNormal([batch, 6], g, DType.Float64);
        var labels = Tensor.FromArray(Enumerable.Range(0, batch).Select(i => i % 3).ToArray());
        return (p, x, labels);
    }

    /// <summary>One step of plain gradient descent on a small MLP, in tensor ops only.</summary>
    private static TensorTree TrainStep(TensorTree s)
    {
        var (loss, grads) = ValueAndGrad((TensorTree p) =>
            s["x"].MatMulAdd(p["W1"], p["b1"]).Tanh().MatMulAdd(p["W2"], p["b2"]).SoftmaxCrossEntropy(s["y"]).Mean())(s.Subtree("params"));
        return new TensorTree
        {
            { "params", s.Subtree("params").Zip(grads, (w, dw) => Tensor.Axpby(1, w, -0.5, dw)) },
            { "loss", loss },
        };
    }

    [Fact]
    public void ATrainingLoopReplaysBitwiseLikeEagerAndTracesOnce()
    {
        var (p, x, y) = MlpProblem(5);
        int traces = 0;
        var step = Jit(s =>
        {
            traces++;
            return TrainStep(s);
        });
        var (pe, pj) = (p, p);
        for (int i = 0; i < 4; i++)
        {
            var eager = TrainStep(new TensorTree { { "params", pe }, { "x", x }, { "y", y } });
            var compiled = step(new TensorTree { { "params", pj }, { "x", x }, { "y", y } });
            AssertBitwise(eager, compiled, $"step {i}");
            (pe, pj) = (eager.Subtree("params"), compiled.Subtree("params"));
        }

        Assert.Equal(1, traces);
        Assert.True(pj["W1"].ToDoubleArray().Zip(p["W1"].ToDoubleArray()).Any(t => t.First != t.Second), "the parameters moved");
    }

    [Fact]
    public void DonatedParametersAreUpdatedInPlaceAndTheDonorsFailOnUse()
    {
        var (p, x, y) = MlpProblem(5);
        var step = Jit(TrainStep);
        var eager = p;
        var compiled = p.Map(t => t * 1.0);
        for (int i = 0; i < 4; i++)
        {
            var old = compiled;
            var e = TrainStep(new TensorTree { { "params", eager }, { "x", x }, { "y", y } });
            var c = step(new TensorTree { { "params", compiled.Donate() }, { "x", x }, { "y", y } });
            AssertBitwise(e, c, $"step {i}");
            (eager, compiled) = (e.Subtree("params"), c.Subtree("params"));
            if (i > 0)
            {
                // From the first replay on, each new parameter is written over its donated input, which then fails on use.
                var error = Assert.Throws<ObjectDisposedException>(() => old["W1"].ToDoubleArray());
                Assert.Contains("donated to Jit", error.Message);
                Assert.Throws<ObjectDisposedException>(() => old["b2"].ToDoubleArray());
            }
        }

        // An input returned as it is keeps its buffer, donated or not.
        var identity = Jit(t => new TensorTree { { "same", t["a"] }, { "next", t["a"] + 1.0 } });
        identity(new TensorTree { { "a", Tensor.FromArray(new[] { 1.0 }).Donate() } });
        var a = Tensor.FromArray(new[] { 2.0 }).Donate();
        var o = identity(new TensorTree { { "a", a } });
        Assert.Equal([2.0], a.ToDoubleArray());
        Assert.Equal([3.0], o["next"].ToDoubleArray());

        // An input still read after an output's first write cannot lend that output its buffer: here only z may take it.
        var two = Jit(t => new TensorTree { { "y", t["a"].Exp() }, { "z", (t["a"] * 2.0).Sin() } });
        two(new TensorTree { { "a", Tensor.FromArray(new[] { 0.5, 1.5 }).Donate() } });
        var input = Tensor.FromArray(new[] { 0.25, -1.0 });
        var expected = new TensorTree { { "y", input.Exp() }, { "z", (input * 2.0).Sin() } };
        AssertBitwise(expected, two(new TensorTree { { "a", (input * 1.0).Donate() } }), "two outputs of one donated input");
    }

    [Fact]
    public void IntermediatesWhoseLifetimesDoNotOverlapShareBuffers()
    {
        var (p, x, y) = MlpProblem(5);
        var jit = new JitFunction(TrainStep, default);
        jit.Invoke(new TensorTree { { "params", p }, { "x", x }, { "y", y } });
        var program = Assert.Single(jit.Programs);
        Assert.True(program.CommandCount > 20, $"{program.CommandCount} kernels recorded");
        Assert.True(program.OwnedBufferCount < program.IntermediateCount,
            $"{program.IntermediateCount} intermediates in {program.OwnedBufferCount} buffers ({program.OwnedBytes} bytes)");
    }

    /// <summary>w − lr·xᵀ·d, the update of a weight from its gradient's product, with the product as the Axpby's x or y.</summary>
    private static TensorTree ProductUpdate(TensorTree t, bool productFirst)
    {
        var gradient = t["x"].Transpose().MatMul(t["d"]);
        return new TensorTree { { "w", productFirst ? Tensor.Axpby(-0.1, gradient, 1, t["w"]) : Tensor.Axpby(1, t["w"], -0.1, gradient) } };
    }

    private static TensorTree ProductUpdateInputs(int seed, DType dtype, bool donate)
    {
        var g = new Generator((ulong)seed);
        var w = Tensor.RandomNormal([40, 24], g, dtype);
        return new TensorTree
        {
            { "w", donate ? w.Donate() : w },
            { "x", Tensor.RandomNormal([64, 40], g, dtype) },
            { "d", Tensor.RandomNormal([64, 24], g, dtype) },
        };
    }

    [Theory]
    [InlineData(false, false, DType.Float32)]
    [InlineData(true, false, DType.Float32)]
    [InlineData(false, true, DType.Float32)]
    [InlineData(true, true, DType.Float64)]
    public void AProductReadOnlyByAnUpdateIsFusedIntoItAndReplaysBitwiseLikeEager(bool productFirst, bool donate, DType dtype)
    {
        var jit = new JitFunction(t => ProductUpdate(t, productFirst), default);
        jit.Invoke(ProductUpdateInputs(1, dtype, donate));
        var program = Assert.Single(jit.Programs);
        Assert.Equal(1, program.FusedCount);
        Assert.Equal(donate ? 0 : -1, Assert.Single(program.OutputDonors));
        for (int seed = 2; seed < 5; seed++)
        {
            var expected = ProductUpdate(ProductUpdateInputs(seed, dtype, donate: false), productFirst);
            AssertBitwise(expected, jit.Invoke(ProductUpdateInputs(seed, dtype, donate)), $"seed {seed}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFusedUpdatePropagatesNaNsAsTheUnfusedOneDoes(bool productFirst)
    {
        // w holds a NaN with a payload; the gradient gets the CPU's default NaN from ∞·0; both terms of the sum are NaN.
        // Which one's bits survive is the hardware's choice of operand, and the JIT may swap a commutative add's operands
        // itself: the fused call adds in the recorded order, and this checks that it ends with the eager bits.
        TensorTree Inputs()
        {
            var t = ProductUpdateInputs(3, DType.Float32, donate: false);
            var w = t["w"].ToFloatArray();
            w[0] = BitConverter.Int32BitsToSingle(0x7FC00123);
            var x = t["x"].ToFloatArray();
            x[0] = float.PositiveInfinity;
            var d = t["d"].ToFloatArray();
            d[0] = 0;
            return new TensorTree
            {
                { "w", Tensor.FromArray(w, [40, 24]) },
                { "x", Tensor.FromArray(x, [64, 40]) },
                { "d", Tensor.FromArray(d, [64, 24]) },
            };
        }

        var jit = new JitFunction(t => ProductUpdate(t, productFirst), default);
        jit.Invoke(ProductUpdateInputs(1, DType.Float32, donate: false));
        Assert.Equal(1, Assert.Single(jit.Programs).FusedCount);
        var expected = ProductUpdate(Inputs(), productFirst);
        var actual = jit.Invoke(Inputs());
        Assert.True(float.IsNaN(expected["w"].ToFloatArray()[0]));
        AssertBitwise(expected, actual, $"NaN terms, product first {productFirst}");
    }

    /// <summary>The gradient of a hidden layer's weight through an activation: backward computes δ·W2ᵀ, then the activation's rule on it.</summary>
    private static TensorTree HiddenGradient(TensorTree t, string activation)
    {
        var grads = Grad((TensorTree p) =>
        {
            var z = t["x"].MatMul(p["W1"]);
            var h = activation switch { "sigmoid" => z.Sigmoid(), "tanh" => z.Tanh(), _ => z.Relu() };
            return (h.MatMul(p["W2"]) * t["c"]).Sum();
        })(new TensorTree { { "W1", t["W1"] }, { "W2", t["W2"] } });
        return new TensorTree { { "dW1", grads["W1"] } };
    }

    private static TensorTree HiddenGradientInputs(int seed, DType dtype)
    {
        var g = new Generator((ulong)seed);
        return new TensorTree
        {
            { "x", Tensor.RandomNormal([64, 30], g, dtype) },
            { "W1", Tensor.RandomNormal([30, 48], g, dtype, std: 0.3) },
            { "W2", Tensor.RandomNormal([48, 10], g, dtype, std: 0.3) },
            { "c", Tensor.RandomNormal([64, 10], g, dtype) },
        };
    }

    [Theory]
    [InlineData("sigmoid", DType.Float32)]
    [InlineData("tanh", DType.Float64)]
    [InlineData("relu", DType.Float32)]
    public void AProductReadOnlyByAnActivationRuleIsFusedIntoItAndReplaysBitwiseLikeEager(string activation, DType dtype)
    {
        var jit = new JitFunction(t => HiddenGradient(t, activation), default);
        jit.Invoke(HiddenGradientInputs(1, dtype));
        // δ·W2ᵀ (64×10 · 10×48) goes to the packed kernel, and only the rule reads it; the weight gradient is returned.
        Assert.Equal(1, Assert.Single(jit.Programs).FusedCount);
        for (int seed = 2; seed < 5; seed++)
        {
            AssertBitwise(HiddenGradient(HiddenGradientInputs(seed, dtype), activation), jit.Invoke(HiddenGradientInputs(seed, dtype)), $"{activation}, seed {seed}");
        }
    }

    [Fact]
    public void AProductTheBackendCannotFuseIsLeftAsTwoCalls()
    {
        // A classifier's weight gradient (10 columns) goes to the narrow kernels, which cannot combine a finished tile:
        // fusing would only keep the operands alive longer.
        var jit = new JitFunction(t =>
        {
            var gradient = t["x"].Transpose().MatMul(t["d"]);
            return new TensorTree { { "w", Tensor.Axpby(1, t["w"], -0.1, gradient) } };
        }, default);
        var g = new Generator(4);
        jit.Invoke(new TensorTree { { "w", Tensor.RandomNormal([512, 10], g) }, { "x", Tensor.RandomNormal([64, 512], g) }, { "d", Tensor.RandomNormal([64, 10], g) } });
        Assert.Equal(0, Assert.Single(jit.Programs).FusedCount);
    }

    [Fact]
    public void AProductReadByMoreThanTheUpdateIsNotFused()
    {
        // The gradient also returned, or also read by another op: it must be stored, so the pair stays two calls.
        var returned = new JitFunction(t =>
        {
            var gradient = t["x"].Transpose().MatMul(t["d"]);
            return new TensorTree { { "w", Tensor.Axpby(1, t["w"], -0.1, gradient) }, { "g", gradient } };
        }, default);
        var readTwice = new JitFunction(t =>
        {
            var gradient = t["x"].Transpose().MatMul(t["d"]);
            return new TensorTree { { "w", Tensor.Axpby(1, t["w"], -0.1, gradient) }, { "norm", (gradient * gradient).Sum() } };
        }, default);
        foreach (var jit in new[] { returned, readTwice })
        {
            jit.Invoke(ProductUpdateInputs(1, DType.Float32, donate: false));
            Assert.Equal(0, Assert.Single(jit.Programs).FusedCount);
        }

        var inputs = ProductUpdateInputs(2, DType.Float32, donate: false);
        var g = inputs["x"].Transpose().MatMul(inputs["d"]);
        AssertBitwise(new TensorTree { { "w", Tensor.Axpby(1, inputs["w"], -0.1, g) }, { "g", g } }, returned.Invoke(inputs), "returned gradient");
    }

    [Fact]
    public void ANewSignatureIsTracedAgainAndEachIsReplayed()
    {
        int traces = 0;
        var f = Jit(t =>
        {
            traces++;
            return new TensorTree { { "y", (t["x"] * 2.0).Sum(0) } };
        });
        var a = Tensor.FromArray(new[] { 1.0, 2.0, 3.0, 4.0 }, [2, 2]);
        var b = Tensor.FromArray(new[] { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0 }, [3, 2]);
        var c = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f }, [2, 2]);
        Assert.Equal([8.0, 12.0], f(new TensorTree { { "x", a } })["y"].ToDoubleArray());
        Assert.Equal([18.0, 24.0], f(new TensorTree { { "x", b } })["y"].ToDoubleArray());
        Assert.Equal([8.0, 12.0], f(new TensorTree { { "x", c } })["y"].ToDoubleArray());
        Assert.Equal(DType.Float32, f(new TensorTree { { "x", c } })["y"].DType);
        Assert.Equal([8.0, 12.0], f(new TensorTree { { "z", a } }.Let(t => t.Add("x", a)))["y"].ToDoubleArray()); // other keys: a new structure
        Assert.Equal([18.0, 24.0], f(new TensorTree { { "x", b } })["y"].ToDoubleArray());
        Assert.Equal(4, traces);
    }

    [Fact]
    public void OutputsOfEarlierCallsKeepTheirValues()
    {
        var f = Jit(t => new TensorTree { { "y", t["x"].Exp() } });
        var first = f(new TensorTree { { "x", Tensor.FromArray(new[] { 0.0, 1.0 }) } })["y"];
        var second = f(new TensorTree { { "x", Tensor.FromArray(new[] { 2.0, 3.0 }) } })["y"];
        var third = f(new TensorTree { { "x", Tensor.FromArray(new[] { 4.0, 5.0 }) } })["y"];
        Assert.Equal(Tensor.FromArray(new[] { 0.0, 1.0 }).Exp().ToDoubleArray(), first.ToDoubleArray());
        Assert.Equal(Tensor.FromArray(new[] { 2.0, 3.0 }).Exp().ToDoubleArray(), second.ToDoubleArray());
        Assert.Equal(Tensor.FromArray(new[] { 4.0, 5.0 }).Exp().ToDoubleArray(), third.ToDoubleArray());
    }

    [Fact]
    public void InputsAndCapturedTensorsComeBackAsThemselves()
    {
        var captured = Tensor.FromArray(new[] { 7.0 });
        var f = Jit(t => new TensorTree { { "same", t["x"] }, { "view", t["x"].Reshape([2, 1]) }, { "captured", captured }, { "sum", t["x"] + captured } });
        var x1 = Tensor.FromArray(new[] { 1.0, 2.0 });
        f(new TensorTree { { "x", x1 } });
        var x2 = Tensor.FromArray(new[] { 3.0, 4.0 });
        var o = f(new TensorTree { { "x", x2 } });
        Assert.Same(x2, o["same"]);
        Assert.Equal(new Shape(2, 1), o["view"].Shape);
        Assert.Equal([3.0, 4.0], o["view"].ToDoubleArray());
        Assert.Same(captured, o["captured"]);
        Assert.Equal([10.0, 11.0], o["sum"].ToDoubleArray());
    }

    [Fact]
    public void ReadingAnInputDependentValueOnTheHostIsRejectedWhileTracing()
    {
        var f = Jit(t => new TensorTree { { "y", t["x"] * (t["x"].Sum().Item() > 0 ? 1.0 : -1.0) } });
        var e = Assert.Throws<JitTraceException>(() => f(new TensorTree { { "x", Tensor.FromArray(new[] { 1.0, 2.0 }) } }));
        Assert.Contains("Item", e.Message);
        Assert.Contains("JitTests.cs", e.Message);

        var g = Jit(t => new TensorTree { { "y", Tensor.FromArray(t["x"].ToDoubleArray()) } });
        Assert.Contains("ToArray", Assert.Throws<JitTraceException>(() => g(new TensorTree { { "x", Tensor.FromArray(new[] { 1.0 }) } })).Message);
    }

    [Fact]
    public void ConstantsMadeOnTheHostMayBeReadAndAreRebuiltEachCall()
    {
        var f = Jit(t =>
        {
            var scale = Tensor.FromArray(new[] { 3.0 });
            double s = scale.Item(); // a constant, not an input: fine
            return new TensorTree { { "y", t["x"] * s + scale } };
        });
        f(new TensorTree { { "x", Tensor.FromArray(new[] { 1.0 }) } });
        Assert.Equal([9.0], f(new TensorTree { { "x", Tensor.FromArray(new[] { 2.0 }) } })["y"].ToDoubleArray());
    }

    [Fact]
    public void RandomDrawsOnTheHostAreRejectedWhileTracing()
    {
        var gen = new Generator(1);
        var f = Jit(t => new TensorTree { { "y", t["x"] * Tensor.RandomUniform([2], gen, dtype: DType.Float64) } });
        var e = Assert.Throws<JitTraceException>(() => f(new TensorTree { { "x", Tensor.FromArray(new[] { 1.0, 2.0 }) } }));
        Assert.Contains("RandomUniform", e.Message);
        Assert.Contains("pass them in", e.Message);
    }

    [Fact]
    public void UnderGradACompiledFunctionRunsAndIsDifferentiated()
    {
        var f = Jit(t => new TensorTree { { "y", (t["x"] * t["x"]).Sum() } });
        var x = Tensor.FromArray(new[] { 1.0, -2.0, 3.0 });
        f(new TensorTree { { "x", x } }); // traced and cached; the traced inputs below must not hit the replay
        var grad = Grad((Tensor v) => f(new TensorTree { { "x", v } })["y"])(x);
        Assert.Equal([2.0, -4.0, 6.0], grad.ToDoubleArray());
        var numeric = Numerical.Gradient(v => f(new TensorTree { { "x", v } })["y"], x).ToDoubleArray();
        Assert.All(grad.ToDoubleArray().Zip(numeric), t => Assert.Equal(t.Second, t.First, 6));
    }

    [Fact]
    public void ACompiledFunctionInsideAnotherIsInlinedIntoItsRecording()
    {
        int innerTraces = 0;
        var inner = Jit(t =>
        {
            innerTraces++;
            return new TensorTree { { "y", t["x"].Tanh() } };
        });
        var outer = Jit(t => new TensorTree { { "z", inner(t)["y"] * 2.0 } });
        var a = Tensor.FromArray(new[] { 0.5, 1.0 });
        inner(new TensorTree { { "x", a } }); // the inner function has a program for this signature already
        Assert.Equal(a.Tanh().ToDoubleArray().Select(v => v * 2), outer(new TensorTree { { "x", a } })["z"].ToDoubleArray());
        var b = Tensor.FromArray(new[] { -0.25, 2.0 });
        Assert.Equal(b.Tanh().ToDoubleArray().Select(v => v * 2), outer(new TensorTree { { "x", b } })["z"].ToDoubleArray());
    }

    [Fact]
    public void OutputsJoinTheCurrentScopeAndReleasedInputsAreNamed()
    {
        var f = Jit(t => new TensorTree { { "y", t["x"] + 1.0 } });
        var x = Tensor.FromArray(new double[300]);
        f(new TensorTree { { "x", x } });
        Tensor y;
        using (TensorScope.Begin())
        {
            y = f(new TensorTree { { "x", x } })["y"];
        }

        Assert.Throws<ObjectDisposedException>(() => y.ToDoubleArray());

        Tensor released;
        using (TensorScope.Begin())
        {
            released = Tensor.FromArray(new double[300]) * 1.0;
        }

        var e = Assert.Throws<ObjectDisposedException>(() => f(new TensorTree { { "x", released } }));
        Assert.Contains("Jit at JitTests.cs", e.Message);
    }

    [Fact]
    public void DataErrorsFoundByReplayedKernelsNameTheKernel()
    {
        var f = Jit(t => new TensorTree { { "y", t["x"].TakeAlongAxis(t["i"], 0) }, { "n", t["x"].To(DType.Int32) } });
        f(new TensorTree { { "x", Tensor.FromArray(new[] { 1.0, 2.0 }) }, { "i", Tensor.FromArray(new[] { 1, 0 }) } });
        var badIndex = Assert.Throws<TensorOpException>(() =>
            f(new TensorTree { { "x", Tensor.FromArray(new[] { 1.0, 2.0 }) }, { "i", Tensor.FromArray(new[] { 1, 5 }) } }));
        Assert.Contains("Gather", badIndex.Message);
        Assert.Contains("outside [0, 2)", badIndex.Message);
        var badCast = Assert.Throws<TensorOpException>(() =>
            f(new TensorTree { { "x", Tensor.FromArray(new[] { 1.0, double.NaN }) }, { "i", Tensor.FromArray(new[] { 1, 0 }) } }));
        Assert.Contains("Cast", badCast.Message);
        Assert.Contains("no int32 value", badCast.Message);
    }

    [Fact]
    public void AFailedReplayReportsItsErrorAndTheDonorFailsOnUse()
    {
        var f = Jit(t => new TensorTree { { "g", t["table"].TakeAlongAxis(t["i"], 0) }, { "w", t["w"] * 2.0 } });
        var table = Tensor.FromArray(new[] { 1.0, 2.0 });
        f(new TensorTree { { "table", table }, { "i", Tensor.FromArray(new[] { 0, 1 }) }, { "w", Tensor.FromArray(new[] { 3.0 }).Donate() } });
        var w = Tensor.FromArray(new[] { 4.0 }).Donate();
        var e = Assert.Throws<TensorOpException>(() =>
            f(new TensorTree { { "table", table }, { "i", Tensor.FromArray(new[] { 0, 7 }) }, { "w", w } }));
        Assert.Contains("outside [0, 2)", e.Message);
        Assert.Throws<ObjectDisposedException>(() => w.ToDoubleArray());
    }

    [Fact]
    public void InputsThatShareABufferOnlyNowAreTracedAgainNotWrittenOver()
    {
        int traces = 0;
        var f = Jit(t =>
        {
            traces++;
            return new TensorTree { { "u", t["a"] * 2.0 }, { "v", t["b"] * 3.0 } };
        });
        f(new TensorTree { { "a", Tensor.FromArray(new[] { 1.0 }).Donate() }, { "b", Tensor.FromArray(new[] { 1.0 }).Donate() } });
        var z = Tensor.FromArray(new[] { 5.0 });
        var o = f(new TensorTree { { "a", z.Donate() }, { "b", z } });
        Assert.Equal([10.0], o["u"].ToDoubleArray());
        Assert.Equal([15.0], o["v"].ToDoubleArray());
        Assert.Equal(2, traces);
    }

    [Fact]
    public void ACapturedTensorPassedInAsWellStaysCaptured()
    {
        var w = Tensor.FromArray(new[] { 2.0, 3.0 });
        var f = Jit(t => new TensorTree { { "y", t["x"] * w }, { "w", w } });
        var first = f(new TensorTree { { "x", w } });
        Assert.Equal([4.0, 9.0], first["y"].ToDoubleArray());
        var o = f(new TensorTree { { "x", Tensor.FromArray(new[] { 5.0, 7.0 }) } });
        Assert.Equal([10.0, 21.0], o["y"].ToDoubleArray());
        Assert.Same(w, o["w"]);

        // Donating it while the function also captures it would write over a buffer the program still reads.
        var g = Jit(t => new TensorTree { { "y", t["x"] * 2.0 + w } });
        g(new TensorTree { { "x", Tensor.FromArray(new[] { 1.0, 1.0 }).Donate() } });
        var e = Assert.Throws<InvalidOperationException>(() => g(new TensorTree { { "x", w.Donate() } }));
        Assert.Contains("also reads that tensor as one it captured", e.Message);
    }

    private static Tensor OnAnotherThread(Func<Tensor> op)
    {
        Tensor? result = null;
        var thread = new Thread(() => result = op());
        thread.Start();
        thread.Join();
        return result!;
    }

    [Fact]
    public void TensorOpsOnAnotherThreadWhileTracingAreRejected()
    {
        var returned = Jit(t => new TensorTree { { "y", OnAnotherThread(() => t["x"] * 2.0) } });
        Assert.Contains("not on the tracing thread", Assert.Throws<JitTraceException>(() => returned(new TensorTree { { "x", Tensor.FromArray(new[] { 1.0 }) } })).Message);
        var used = Jit(t => new TensorTree { { "y", OnAnotherThread(() => t["x"] * 2.0) + 1.0 } });
        Assert.Contains("not on the tracing thread", Assert.Throws<JitTraceException>(() => used(new TensorTree { { "x", Tensor.FromArray(new[] { 1.0 }) } })).Message);
    }

    [Fact]
    public void AReplayAllocatesOnlyItsOutputs()
    {
        // A whole training step (forward, backward, update: dozens of kernels), returning only its loss.
        var (p, x, y) = MlpProblem(64);
        var step = Jit(s => new TensorTree { { "loss", TrainStep(s)["loss"] } });
        var inputs = new TensorTree { { "params", p }, { "x", x }, { "y", y } };
        step(inputs);
        step(inputs);
        long before = GC.GetAllocatedBytesForCurrentThread();
        const int Calls = 50;
        for (int i = 0; i < Calls; i++)
        {
            step(inputs);
        }

        // Per call: the output tree (2 nodes), one tensor, its storage object and its 1-element array (about 300 bytes). Nothing
        // per recorded command, where an eager step allocates tensors, tape nodes and shapes for every op.
        long perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / Calls;
        Assert.True(perCall < 400, $"a replay allocated {perCall} bytes");
    }
}

internal static class TreeTestExtensions
{
    public static TensorTree Let(this TensorTree tree, Action<TensorTree> act)
    {
        act(tree);
        return tree;
    }
}
