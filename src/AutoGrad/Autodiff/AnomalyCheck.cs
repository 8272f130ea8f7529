using System.Globalization;
using System.Runtime.CompilerServices;
using AutoGrad.Backends;
using AutoGrad.Ops;

namespace AutoGrad.Autodiff;

/// <summary>
/// The checks of anomaly mode (<see cref="Anomaly"/>): dispatch calls <see cref="Forward"/> on every op's result, the
/// traces route derivative rules through <see cref="Vjp"/>, <see cref="Accumulate"/> and <see cref="Jvp"/>. Nothing here
/// runs while the mode is off.
/// </summary>
internal static class AnomalyCheck
{
    // While a derivative rule runs, the ops inside it are not checked one by one: the rule is judged by what it returns,
    // and reported as the backward (or JVP) of the op it belongs to. Ops the rule records onto an enclosing tape take the
    // forward call's site, not a line inside the library.
    [ThreadStatic]
    private static int _ruleDepth;

    [ThreadStatic]
    private static CallSite _ruleSite;

    // The library's source folder, from the compile-time path of this file (…/AutoGrad/Autodiff/AnomalyCheck.cs): a call
    // site in it is the library calling itself (a composite, a rule), never the user's line.
    private static readonly string LibraryRoot = LibraryFolder();

    /// <summary>True when this thread's ops are checked now: anomaly mode is on and no derivative rule is running.</summary>
    public static bool Active
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Anomaly.IsOn && _ruleDepth == 0;
    }

    /// <summary>
    /// The site to keep on a tape node while anomaly mode is on: the running rule's forward site inside a rule, else the
    /// user's line (a stack walk for ops called through operators, which have no caller info).
    /// </summary>
    public static CallSite RecordSite(CallSite site) => _ruleDepth > 0 ? _ruleSite : UserSite(site);

    /// <summary>Throws if <paramref name="output"/>, computed by <paramref name="primitive"/> from <paramref name="inputs"/>, holds a new NaN or infinity.</summary>
    public static void Forward(Primitive primitive, CallSite site, Tensor[] inputs, Tensor output)
    {
        if (_ruleDepth > 0)
        {
            return;
        }

        var produced = FiniteScan.Of(output);
        if (produced == NonFinite.None)
        {
            return;
        }

        var from = FiniteScan.Of(inputs);
        if (New(produced, from) is { } kind)
        {
            throw Error(primitive, AnomalyPhase.Forward, UserSite(site), inputs,
                $"produced {Found(output, kind)} of its {Describe(output)} result, from inputs {List(inputs)}{Condition(from)}");
        }
    }

    /// <summary>Runs <paramref name="primitive"/>'s VJP rule and throws if a cotangent it returns holds a new NaN or infinity.</summary>
    public static Tensor?[] Vjp(Primitive primitive, CallSite site, Tensor g, Tensor[] primals, Tensor output, bool[] needed)
    {
        var outer = EnterRule(site);
        Tensor?[] cotangents;
        try
        {
            cotangents = primitive.Vjp(g, primals, output, needed);
        }
        finally
        {
            ExitRule(outer);
        }

        for (int i = 0; i < needed.Length && i < cotangents.Length; i++)
        {
            if (!needed[i] || cotangents[i] is not { } c)
            {
                continue;
            }

            var produced = FiniteScan.Of(c);
            if (produced == NonFinite.None)
            {
                continue;
            }

            var from = FiniteScan.Of(primals) | FiniteScan.Of(output) | FiniteScan.Of(g);
            if (New(produced, from) is { } kind)
            {
                throw Error(primitive, AnomalyPhase.Backward, site, primals,
                    $"the VJP rule produced {Found(c, kind)} of the {Describe(c)} gradient of input {i}, from inputs {List(primals)}, output {Describe(output)} and cotangent {Describe(g)}{Condition(from)}");
            }
        }

        return cotangents;
    }

    /// <summary>
    /// Adds <paramref name="c"/>, a VJP result for input <paramref name="input"/>, to <paramref name="acc"/>, the gradient
    /// of that value from its other uses, and throws if the sum holds a new NaN or infinity (an overflow).
    /// </summary>
    public static Tensor Accumulate(Primitive primitive, CallSite site, Tensor[] primals, int input, Tensor acc, Tensor c)
    {
        var outer = EnterRule(site); // the sum is part of this node's backward, not a forward op of its own
        Tensor sum;
        try
        {
            sum = acc + c;
        }
        finally
        {
            ExitRule(outer);
        }

        var produced = FiniteScan.Of(sum);
        if (produced != NonFinite.None)
        {
            var from = FiniteScan.Of(acc) | FiniteScan.Of(c);
            if (New(produced, from) is { } kind)
            {
                throw Error(primitive, AnomalyPhase.Backward, site, primals,
                    $"adding its gradient for input {input} to the gradient from the value's other uses produced {Found(sum, kind)} of the {Describe(sum)} sum, from terms{Condition(from)}");
            }
        }

        return sum;
    }

    /// <summary>Runs <paramref name="primitive"/>'s JVP rule and throws if the tangent it returns holds a new NaN or infinity.</summary>
    public static Tensor Jvp(Primitive primitive, CallSite site, Tensor?[] tangents, Tensor[] primals, Tensor output)
    {
        var outer = EnterRule(site);
        Tensor tangent;
        try
        {
            tangent = primitive.Jvp(tangents, primals, output);
        }
        finally
        {
            ExitRule(outer);
        }

        var produced = FiniteScan.Of(tangent);
        if (produced != NonFinite.None)
        {
            var from = FiniteScan.Of(primals) | FiniteScan.Of(output) | FiniteScan.Of(tangents);
            if (New(produced, from) is { } kind)
            {
                throw Error(primitive, AnomalyPhase.Jvp, site, primals,
                    $"the JVP rule produced {Found(tangent, kind)} of the {Describe(tangent)} tangent, from inputs {List(primals)}, output {Describe(output)} and input tangents {List(tangents)}{Condition(from)}");
            }
        }

        return tangent;
    }

    /// <summary>The user's line for <paramref name="site"/>: itself when it is known and outside the library, else the first stack frame outside it.</summary>
    private static CallSite UserSite(CallSite site)
    {
        if (site.IsKnown && !site.File!.StartsWith(LibraryRoot, StringComparison.Ordinal))
        {
            return site;
        }

        var resolved = CallSite.Unknown.Resolve();
        return resolved.IsKnown ? resolved : site;
    }

    private static CallSite EnterRule(CallSite site)
    {
        var outer = _ruleSite;
        _ruleDepth++;
        _ruleSite = site;
        return outer;
    }

    private static void ExitRule(CallSite outer)
    {
        _ruleDepth--;
        _ruleSite = outer;
    }

    /// <summary>
    /// The kind of value <paramref name="produced"/> that is new given what the values it came from held: a NaN unless
    /// they held one, an infinity only when they were all finite. Null when nothing is new.
    /// </summary>
    private static NonFinite? New(NonFinite produced, NonFinite from)
    {
        if (produced.HasFlag(NonFinite.NaN) && !from.HasFlag(NonFinite.NaN))
        {
            return NonFinite.NaN;
        }

        return produced.HasFlag(NonFinite.Infinity) && from == NonFinite.None ? NonFinite.Infinity : null;
    }

    private static AnomalyException Error(Primitive primitive, AnomalyPhase phase, CallSite site, Tensor[] inputs, string detail)
    {
        string op = primitive.Name;
        if (primitive is CustomPrimitive custom)
        {
            // A custom function is called through a delegate, so its call line comes from the stack (recorded only while
            // the mode is on); its definition line is always known.
            op = custom.Label;
            site = site.IsKnown ? site : custom.DefinedAt;
            detail += $"; the custom function was defined at {custom.DefinedAt}";
        }

        var shapes = new Shape[inputs.Length];
        var dtypes = new DType[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            shapes[i] = inputs[i].Shape;
            dtypes[i] = inputs[i].DType;
        }

        return new AnomalyException(op, phase, site, shapes, dtypes, detail);
    }

    /// <summary>E.g. <c>NaN at element 3</c> (the first element of that kind, in row-major order).</summary>
    private static string Found(Tensor t, NonFinite kind)
    {
        var (index, value) = FiniteScan.First(t, kind);
        string text = double.IsNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";
        return $"{text} at element {index.ToString(CultureInfo.InvariantCulture)}";
    }

    private static string Condition(NonFinite from) => from == NonFinite.None ? " (all finite)" : " (no NaN among them)";

    private static string Describe(Tensor t) => OpCheck.Describe(t);

    private static string List(IEnumerable<Tensor?> ts) => string.Join(", ", ts.Select(t => t is null ? "zero" : Describe(t)));

    private static string LibraryFolder([CallerFilePath] string thisFile = "")
    {
        // …/AutoGrad/Autodiff/AnomalyCheck.cs → …/AutoGrad/ (with the separator, so AutoGrad.Nn/ is not inside it)
        string folder = Path.GetDirectoryName(Path.GetDirectoryName(thisFile)) ?? "";
        return folder.Length == 0 ? "\0" : folder + thisFile[folder.Length];
    }
}
