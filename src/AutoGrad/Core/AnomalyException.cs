namespace AutoGrad;

/// <summary>
/// Thrown in anomaly mode (<see cref="Anomaly.Detect(string, int)"/>) by the first op that produces a NaN or an infinity. The message
/// names the op, the phase, the source line that called the op (for a derivative rule, the line of the forward call it
/// belongs to) and the shapes involved, e.g.
/// <c>Log forward at Model.cs:42: produced -Inf at element 0 of its float64[3] result, from inputs float64[3] (all finite)</c>.
/// </summary>
public sealed class AnomalyException : ArithmeticException
{
    internal AnomalyException(string op, AnomalyPhase phase, CallSite site, Shape[] inputShapes, DType[] inputDTypes, string detail)
        : base($"{op} {PhaseName(phase)} at {site}: {detail}")
    {
        Op = op;
        Phase = phase;
        CallerFile = site.File;
        CallerLine = site.Line;
        InputShapes = inputShapes;
        InputDTypes = inputDTypes;
        Detail = detail;
    }

    /// <summary>The op whose forward computation or derivative rule produced the value, e.g. <c>Log</c>, <c>Custom(lse)</c>.</summary>
    public string Op { get; }

    /// <summary>Forward computation, VJP rule (backward) or JVP rule.</summary>
    public AnomalyPhase Phase { get; }

    /// <summary>The source file of the op's call (the forward call, for a derivative rule), or null where it could not be determined.</summary>
    public string? CallerFile { get; }

    /// <summary>The line of the op's call, or 0 where it could not be determined.</summary>
    public int CallerLine { get; }

    /// <summary>The shapes of the op's forward inputs.</summary>
    public IReadOnlyList<Shape> InputShapes { get; }

    /// <summary>The dtypes of the op's forward inputs.</summary>
    public IReadOnlyList<DType> InputDTypes { get; }

    /// <summary>What was produced and from what, without the op and location prefix.</summary>
    public string Detail { get; }

    internal static string PhaseName(AnomalyPhase phase) => phase switch
    {
        AnomalyPhase.Forward => "forward",
        AnomalyPhase.Backward => "backward",
        _ => "JVP",
    };
}
