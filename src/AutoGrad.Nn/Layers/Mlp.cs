using System.Runtime.CompilerServices;
using AutoGrad.Nn.Init;

namespace AutoGrad.Nn.Layers;

/// <summary>
/// A multi-layer perceptron from layer sizes and per-layer activations, e.g. 784-512-10 with sigmoid
/// then linear. Parameters are a tree {"0": {W, b}, "1": {W, b}, …}; <see cref="Apply"/> is a pure function
/// of parameters and input.
/// </summary>
/// <remarks>
/// A parameter's path is its layer's index and its name, joined by a dot: "0.W" is the first layer's weights
/// [sizes[0], sizes[1]], "0.b" its bias [sizes[1]], "1.W" the second layer's weights, and so on. Read one with
/// <c>parameters["0.W"]</c> (a layer's pair with <c>parameters.Subtree("0")</c>); replace one by mapping the tree,
/// <c>parameters.Map((path, t) =&gt; path == "0.W" ? newW : t)</c> (trees are immutable). Gradients, optimizer moments and
/// saved files (<c>SafeTensors</c>) use the same paths.
/// </remarks>
public sealed class Mlp
{
    /// <summary>
    /// Describes an MLP. <paramref name="sizes"/> lists input, hidden and output widths (at least two);
    /// <paramref name="activations"/> gives one activation per layer (sizes.Length − 1 of them), or a single
    /// one used for every hidden layer with the output left linear.
    /// </summary>
    public Mlp(int[] sizes, Activation[] activations, Initializer? weightInit = null)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentNullException.ThrowIfNull(activations);
        if (sizes.Length < 2 || sizes.Any(s => s <= 0))
        {
            throw new ArgumentException($"Mlp: needs at least an input and an output size, all positive; got [{string.Join(",", sizes)}]", nameof(sizes));
        }

        int layers = sizes.Length - 1;
        if (activations.Length == 1 && layers > 1)
        {
            activations = [.. Enumerable.Repeat(activations[0], layers - 1), Activation.Linear];
        }

        if (activations.Length != layers)
        {
            throw new ArgumentException($"Mlp: {layers} layer(s) need {layers} activations (or one for all hidden layers), got {activations.Length}", nameof(activations));
        }

        Sizes = (int[])sizes.Clone();
        Activations = activations;
        Layers = Enumerable.Range(0, layers).Select(i => new Linear(sizes[i], sizes[i + 1], weightInit)).ToArray();
    }

    /// <summary>The widths, input first.</summary>
    public IReadOnlyList<int> Sizes { get; }

    /// <summary>One activation per layer.</summary>
    public IReadOnlyList<Activation> Activations { get; }

    /// <summary>The dense layers.</summary>
    public IReadOnlyList<Linear> Layers { get; }

    /// <summary>The total number of parameters (407,050 for 784-512-10).</summary>
    public int ParameterCount => Layers.Sum(l => l.ParameterCount);

    /// <summary>Fresh parameters, one subtree per layer: "0" → {W, b}, "1" → {W, b}, … (paths "0.W", "0.b", …).</summary>
    public TensorTree Init(Generator generator, DType dtype = DType.Float32) =>
        TensorTree.FromList(Layers.Select(l => l.Init(generator, dtype)));

    /// <summary>Runs the network on x of shape [..., sizes[0]].</summary>
    public Tensor Apply(TensorTree parameters, Tensor x, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var h = x;
        for (int i = 0; i < Layers.Count; i++)
        {
            h = Activations[i].Apply(Layers[i].Apply(parameters.Subtree(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), h, file, line));
        }

        return h;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"Mlp({string.Join("-", Sizes)}; {string.Join(", ", Activations.Select(a => a.Name))}; {ParameterCount:N0} parameters)";
}
