using System.Runtime.CompilerServices;
using AutoGrad.Tests.Support;
using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Tests.Autodiff;

/// <summary>
/// Anomaly mode: the first NaN or infinity an op produces, forward or in a derivative rule, throws naming the op, the
/// phase, the input shapes and this file's line that called the op; with the mode off, non-finite values flow as before.
/// </summary>
public class AnomalyModeTests
{
    private const string File = "AnomalyModeTests.cs";

    /// <summary>The line this is called from: the test's own line numbers, not constants that drift with edits.</summary>
    private static int Line([CallerLineNumber] int line = 0) => line;

    private static Tensor Vec(params double[] values) => Tensor.FromArray(values);

    private static void AssertAt(AnomalyException ex, string op, AnomalyPhase phase, int line)
    {
        Assert.StartsWith($"{op} {(phase == AnomalyPhase.Backward ? "backward" : phase == AnomalyPhase.Jvp ? "JVP" : "forward")} at {File}:{line}: ", ex.Message);
        Assert.Equal(op, ex.Op);
        Assert.Equal(phase, ex.Phase);
        Assert.Equal(File, Path.GetFileName(ex.CallerFile));
        Assert.Equal(line, ex.CallerLine);
    }

    [Fact]
    public void LogOfZeroTimesZero_ThrowsAtTheLogThatProducedTheInfinity_WithThisLine()
    {
        var x = Vec(0.0, 1.0);
        using var anomaly = Anomaly.Detect();
        var ex = Assert.Throws<AnomalyException>(() => x.Log() * 0.0);
        int line = Line() - 1;

        // The whole message, word for word: the format is what users read.
        Assert.Equal($"Log forward at {File}:{line}: produced -Inf at element 0 of its float64[2] result, from inputs float64[2] (all finite)", ex.Message);
        AssertAt(ex, "Log", AnomalyPhase.Forward, line);
        Assert.Equal([new Shape([2])], ex.InputShapes);
        Assert.Equal([DType.Float64], ex.InputDTypes);
        Assert.Equal("produced -Inf at element 0 of its float64[2] result, from inputs float64[2] (all finite)", ex.Detail);
    }

    [Fact]
    public void Off_NaNAndInfinityFlowAsBefore()
    {
        Assert.False(Anomaly.IsEnabled);
        var y = (Vec(0.0, 1.0).Log() * 0.0).ToDoubleArray();
        Assert.True(double.IsNaN(y[0]));
        Assert.Equal(0.0, y[1]);
        var g = Grad((Tensor t) => t.Sqrt().Sum())(Vec(0.0, 4.0)).ToDoubleArray();
        Assert.Equal([double.PositiveInfinity, 0.25], g);
    }

    [Fact]
    public void OperatorCalls_AreNamedByTheirLineFromTheStack()
    {
        var x = Vec(1.0, 0.0);
        using var anomaly = Anomaly.Detect();
        var ex = Assert.Throws<AnomalyException>(() => 1.0 / x);
        AssertAt(ex, "Div", AnomalyPhase.Forward, Line() - 1);
        Assert.Contains("produced +Inf at element 1 of its float64[2] result, from inputs float64[], float64[2] (all finite)", ex.Message);
    }

    [Fact]
    public void SqrtAtZero_ThrowsInBackward_NamingTheForwardLine()
    {
        Func<Tensor, Tensor> f = t => t.Sqrt().Sum();
        int line = Line() - 1;
        using var anomaly = Anomaly.Detect();
        var ex = Assert.Throws<AnomalyException>(() => Grad(f)(Vec(0.0, 4.0)));
        AssertAt(ex, "Sqrt", AnomalyPhase.Backward, line);
        Assert.Equal(
            "the VJP rule produced +Inf at element 0 of the float64[2] gradient of input 0, from inputs float64[2], output float64[2] and cotangent float64[2] (all finite)",
            ex.Detail);
    }

    [Fact]
    public void NaNOnlyInTheGradient_ForwardFinite_ThrowsInTheBackwardOfTheOpThatMadeIt()
    {
        // √t · 0 is 0 at t = 0, but its gradient is 0 · ∞ = NaN, made by Sqrt's rule (Mul's rule passes a finite 0 on).
        Func<Tensor, Tensor> f = t => (t.Sqrt() * 0.0).Sum();
        int line = Line() - 1;
        var x = Vec(0.0, 1.0);
        Assert.True(double.IsNaN(Grad(f)(x).ToDoubleArray()[0])); // off: the NaN comes out silently
        Assert.All(f(x).ToDoubleArray(), v => Assert.True(double.IsFinite(v)));

        using var anomaly = Anomaly.Detect();
        var ex = Assert.Throws<AnomalyException>(() => Grad(f)(x));
        AssertAt(ex, "Sqrt", AnomalyPhase.Backward, line);
        Assert.Contains("produced NaN at element 0 of the float64[2] gradient of input 0", ex.Message);
    }

    [Fact]
    public void NaNFromACustomVjpRule_IsTheCustomOpsBackward_WithItsCallAndDefinitionLines()
    {
        // The rule multiplies by (x − x)/(x − x) = 0/0 = NaN.
        var bad = Custom.Vjp((Tensor x) => x * 2.0, (x, y, g) => g * ((x - x) / (x - x)), name: "bad");
        int defined = Line() - 1;
        using var anomaly = Anomaly.Detect();
        var ex = Assert.Throws<AnomalyException>(() => Grad((Tensor t) => bad(t).Sum())(Vec(1.0, 2.0)));
        int called = Line() - 1;
        AssertAt(ex, "Custom(bad)", AnomalyPhase.Backward, called);
        Assert.EndsWith($"; the custom function was defined at {File}:{defined}", ex.Message);
        Assert.True(ex.Message.Contains("the VJP rule produced NaN at element 0 of the float64[2] gradient of input 0", StringComparison.Ordinal), ex.Message);
    }

    [Fact]
    public void CustomFunctionCalledWhileOff_IsNamedByItsDefinitionLine()
    {
        var bad = Custom.Vjp((Tensor x) => x * 2.0, (x, y, g) => g * ((x - x) / (x - x)), name: "bad");
        int defined = Line() - 1;
        var (_, pullback) = Vjp((Tensor t) => bad(t).Sum(), Vec(1.0, 2.0)); // recorded while off: no call line kept
        using var anomaly = Anomaly.Detect();
        var ex = Assert.Throws<AnomalyException>(() => pullback(Tensor.Scalar(1.0)));
        AssertAt(ex, "Custom(bad)", AnomalyPhase.Backward, defined);
    }

    [Fact]
    public void SecondOrderNaN_NamesTheUserLineOfTheOpWhoseRuleItComesFrom()
    {
        // d/dt t^1.5 = 1.5·t^0.5 is 0 at 0; its derivative 0.75·t^−0.5 is infinite: found in the backward pass over
        // PowScalar's own rule, which ran at this line.
        Func<Tensor, Tensor> f = t => t.Pow(1.5).Sum();
        int line = Line() - 1;
        using var anomaly = Anomaly.Detect();
        var ex = Assert.Throws<AnomalyException>(() => Grad((Tensor t) => Grad(f)(t).Sum())(Vec(0.0, 1.0)));
        Assert.Equal(AnomalyPhase.Backward, ex.Phase);
        Assert.Equal(line, ex.CallerLine);
        Assert.Contains("+Inf", ex.Message);
    }

    [Fact]
    public void InfiniteTangentInAJvpRule_IsNamedAsJvp()
    {
        Func<Tensor, Tensor> f = t => t.Sqrt();
        int line = Line() - 1;
        using var anomaly = Anomaly.Detect();
        var ex = Assert.Throws<AnomalyException>(() => Jvp(f, Vec(0.0, 1.0), Vec(1.0, 1.0)));
        AssertAt(ex, "Sqrt", AnomalyPhase.Jvp, line);
        Assert.Contains("the JVP rule produced +Inf at element 0 of the float64[2] tangent", ex.Message);
    }

    [Fact]
    public void LinearizedJvp_IsCheckedWithTheRecordedLine()
    {
        Func<Tensor, Tensor> f = t => t.Sqrt();
        int line = Line() - 1;
        using var anomaly = Anomaly.Detect();
        var (_, jvp) = Linearize(f, Vec(0.0, 1.0));
        var ex = Assert.Throws<AnomalyException>(() => jvp(Vec(1.0, 1.0)));
        AssertAt(ex, "Sqrt", AnomalyPhase.Jvp, line);
    }

    [Fact]
    public void GradientSumThatOverflows_IsReportedAsBackward()
    {
        // Each use's gradient, 3e38, is a finite float32; their sum overflows to +Inf when the tape adds them.
        Func<Tensor, Tensor> f = t => (t * 3e38f + t * 3e38f).Sum();
        int line = Line() - 1;
        var x = Tensor.FromArray(new[] { 1e-10f });
        using var anomaly = Anomaly.Detect();
        var ex = Assert.Throws<AnomalyException>(() => Grad(f)(x));
        AssertAt(ex, "Mul", AnomalyPhase.Backward, line);
        Assert.Contains("adding its gradient for input 0 to the gradient from the value's other uses produced +Inf at element 0 of the float32[1] sum, from terms (all finite)", ex.Message);
    }

    [Fact]
    public void NonFiniteInputs_AreNotProducedByTheOpsThatCarryThem()
    {
        using var anomaly = Anomaly.Detect();
        var y = Vec(double.NaN, 1.0).Exp() + Vec(double.NegativeInfinity, 0.0); // NaN and −∞ came in as data
        Assert.True(double.IsNaN(y.ToDoubleArray()[0]));
        var masked = Vec(1.0, 2.0) + Vec(0.0, double.NegativeInfinity);       // a −∞ mask stays −∞
        Assert.Equal(double.NegativeInfinity, masked.ToDoubleArray()[1]);
    }

    [Fact]
    public void AnOpThatTookADonatedInputsBuffer_IsStillReported()
    {
        // The result overwrote w's buffer, so w cannot be read back: the report must still come, as an anomaly.
        var w = Vec(1e308, 1.0);
        using var anomaly = Anomaly.Detect();
        var ex = Assert.Throws<AnomalyException>(() => Tensor.Axpby(1, w.Donate(), 1e308, Vec(1.0, 1.0)));
        AssertAt(ex, "Axpby", AnomalyPhase.Forward, Line() - 1);
        Assert.Contains("produced +Inf at element 0 of its float64[2] result", ex.Message);
    }

    [Fact]
    public void NaNMadeFromInfiniteInputs_IsNew()
    {
        // ∞ − ∞: the inputs held infinities but no NaN, so the NaN is this op's (a fully masked row, say).
        var inf = Vec(double.PositiveInfinity);
        using var anomaly = Anomaly.Detect();
        var ex = Assert.Throws<AnomalyException>(() => inf - inf);
        AssertAt(ex, "Sub", AnomalyPhase.Forward, Line() - 1);
        Assert.EndsWith("produced NaN at element 0 of its float64[1] result, from inputs float64[1], float64[1] (no NaN among them)", ex.Message);
    }

    [Fact]
    public void NestedScopes_InnerSettingWinsUntilItEnds()
    {
        var zero = Vec(0.0);
        using (Anomaly.Detect())
        {
            using (Anomaly.Detect(false))
            {
                Assert.False(Anomaly.IsEnabled);
                Assert.Equal(double.NegativeInfinity, zero.Log().ToDoubleArray()[0]);
                using (Anomaly.Detect())
                {
                    Assert.Throws<AnomalyException>(() => zero.Log());
                }

                Assert.False(Anomaly.IsEnabled);
            }

            Assert.True(Anomaly.IsEnabled);
            Assert.Throws<AnomalyException>(() => zero.Log());
        }

        Assert.False(Anomaly.IsEnabled);
        Assert.Equal(double.NegativeInfinity, zero.Log().ToDoubleArray()[0]);
    }

    [Fact]
    public void ScopesEndingOutOfOrder_Throw()
    {
        var outer = Anomaly.Detect();
        int line = Line() - 1;
        var inner = Anomaly.Detect(false);
        var ex = Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        Assert.Equal($"Anomaly.Detect scope begun at {File}:{line} ended while a scope nested in it is still active; end scopes in the reverse order they began", ex.Message);
        inner.Dispose();
        outer.Dispose();
        outer.Dispose(); // a second Dispose does nothing
        Assert.False(Anomaly.IsEnabled);
    }

    /// <summary>Runs <paramref name="body"/> on a new thread and returns its result (a plain thread: the scope is per thread).</summary>
    private static T OnOtherThread<T>(Func<T> body)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = body();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        return error is null ? result : throw new InvalidOperationException("the other thread failed", error);
    }

    [Fact]
    public void TheModeBelongsToItsThread()
    {
        var zero = Vec(0.0);
        using (Anomaly.Detect())
        {
            // Another thread is not checked while this one is.
            Assert.Equal((false, double.NegativeInfinity), OnOtherThread(() => (Anomaly.IsEnabled, zero.Log().ToDoubleArray()[0])));
        }

        // And this thread is not checked while another one is.
        using var started = new ManualResetEventSlim();
        using var finish = new ManualResetEventSlim();
        string? op = null;
        var worker = new Thread(() =>
        {
            using var scope = Anomaly.Detect();
            started.Set();
            finish.Wait();
            try
            {
                zero.Log();
            }
            catch (AnomalyException e)
            {
                op = e.Op;
            }
        });
        worker.Start();
        started.Wait();
        Assert.Equal(double.NegativeInfinity, zero.Log().ToDoubleArray()[0]);
        finish.Set();
        worker.Join();
        Assert.Equal("Log", op);
    }

    [Fact]
    public void ScopeEndedOnAnotherThread_Throws()
    {
        var scope = Anomaly.Detect();
        var ex = OnOtherThread(() => Assert.Throws<InvalidOperationException>(() => scope.Dispose()));
        Assert.Contains("must end on the thread that began it", ex.Message);
        scope.Dispose();
        Assert.False(Anomaly.IsEnabled);
    }

    [Fact]
    public void Jit_RunsEagerlyWhileOn_AndNamesTheLineInsideTheCompiledFunction()
    {
        var f = Jit((TensorTree s) => new TensorTree { { "y", (s["x"].Log() * 0.0).Sum() } });
        int line = Line() - 1;
        TensorTree Input(params double[] v) => new() { { "x", Vec(v) } };
        Assert.Equal(0.0, f(Input(1.0, 2.0))["y"].Item()); // traced
        Assert.True(double.IsNaN(f(Input(0.0, 2.0))["y"].Item())); // replayed: NaN, silently

        using (Anomaly.Detect())
        {
            var ex = Assert.Throws<AnomalyException>(() => f(Input(0.0, 2.0)));
            AssertAt(ex, "Log", AnomalyPhase.Forward, line);
            Assert.Equal(0.0, f(Input(1.0, 2.0))["y"].Item());
        }

        Assert.True(double.IsNaN(f(Input(0.0, 2.0))["y"].Item())); // replayed again once off
    }

    [Fact]
    public void Jit_GradientInsideTheCompiledFunction_NamesTheForwardLine()
    {
        var step = Jit((TensorTree s) => new TensorTree { { "g", Grad((Tensor t) => t.Sqrt().Sum())(s["x"]) } });
        int line = Line() - 1;
        using var anomaly = Anomaly.Detect();
        var ex = Assert.Throws<AnomalyException>(() => step(new TensorTree { { "x", Vec(0.0, 1.0) } }));
        AssertAt(ex, "Sqrt", AnomalyPhase.Backward, line);
    }

    [Fact]
    public void CompiledStep_RunsEagerlyWhileOn_WithTheReplaysValues()
    {
        // The update donates the old state, as the library's optimizers do: eagerly, no op may take the state's buffer.
        CompiledStep Make() => new(new TensorTree { { "w", Vec(4.0, 1.0) } }, (state, inputs) =>
        {
            var g = Grad((Tensor w) => (w.Sqrt() * inputs["x"]).Sum())(state["w"]);
            return (new TensorTree { { "w", Tensor.Axpby(1, state["w"].Donate(), -0.5, g) } }, new TensorTree { { "g", g } });
        });
        var x = new TensorTree { { "x", Vec(1.0, 1.0) } };
        var replayed = Make();
        var mixed = Make();
        for (int i = 0; i < 4; i++)
        {
            using (Anomaly.Detect(enabled: i is 1 or 2)) // traced, eager, eager, replayed
            {
                Assert.Equal(replayed.Run(x)["g"].ToDoubleArray(), mixed.Run(x)["g"].ToDoubleArray());
            }

            Assert.Equal(replayed.State["w"].ToDoubleArray(), mixed.State["w"].ToDoubleArray());
        }
    }

    [Fact]
    public void CompiledStep_AnomalyLeavesTheStateAsItWas()
    {
        var step = new CompiledStep(new TensorTree { { "w", Vec(1.0, 0.0) } }, (state, inputs) =>
            (new TensorTree { { "w", state["w"] - Grad((Tensor w) => w.Sqrt().Sum())(state["w"]) } }, new TensorTree()));
        int line = Line() - 1;
        using (Anomaly.Detect())
        {
            var ex = Assert.Throws<AnomalyException>(() => step.Run(new TensorTree()));
            AssertAt(ex, "Sqrt", AnomalyPhase.Backward, line);
            Assert.Equal([1.0, 0.0], step.State["w"].ToDoubleArray()); // the update was never written
        }

        step.Run(new TensorTree()); // off: the step is still usable, and the infinity flows
        Assert.Equal([0.5, double.NegativeInfinity], step.State["w"].ToDoubleArray());
    }

    [Fact]
    public void NaNFromACustomJvpRule_IsTheCustomOpsJvp()
    {
        var bad = Custom.Jvp((Tensor x) => x * 2.0, (x, y, t) => t * ((x - x) / (x - x)), name: "badjvp");
        int defined = Line() - 1;
        using var anomaly = Anomaly.Detect();
        var ex = Assert.Throws<AnomalyException>(() => Jvp((Tensor t) => bad(t), Vec(1.0), Vec(1.0)));
        AssertAt(ex, "Custom(badjvp)", AnomalyPhase.Jvp, Line() - 1);
        Assert.EndsWith($"; the custom function was defined at {File}:{defined}", ex.Message);
    }
}
