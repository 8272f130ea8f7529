using AutoGrad.Nn.Optim;
using Xunit;

namespace AutoGrad.Nn.Tests.Optim;

/// <summary>Optimizers over parameters of any tree type (tuples, arrays of tuples) equal the same update over a TensorTree.</summary>
public class OptimizerTreeTests
{
    [Fact]
    public void AnArrayOfLayerTuplesUpdatesAsTheEquivalentTensorTree()
    {
        var g = new Generator(5);
        (Tensor W, Tensor B)[] layers = [(Tensor.RandomNormal([2, 3], g, DType.Float64), Tensor.RandomNormal([3], g, DType.Float64)), (Tensor.RandomNormal([3, 1], g, DType.Float64), Tensor.RandomNormal([1], g, DType.Float64))];
        var grads = Tree.Map(layers, t => t * 0.5 + 1.0);
        var adam = new Adam(0.1);

        var state = adam.Init(layers);
        var (next, nextState) = adam.Update(grads, state, layers);
        (next, nextState) = adam.Update(grads, nextState, next);

        var asTree = Tree.ToTensorTree(layers);
        Assert.Equal(["0.Item1", "0.Item2", "1.Item1", "1.Item2"], asTree.Leaves().Select(l => l.Path));
        var treeState = adam.Init(asTree);
        var (treeNext, treeNextState) = adam.Update(Tree.ToTensorTree(grads), treeState, asTree);
        (treeNext, _) = adam.Update(Tree.ToTensorTree(grads), treeNextState, treeNext);

        Assert.IsType<(Tensor W, Tensor B)[]>(next);
        Assert.Equal(treeNext["1.Item1"].ToDoubleArray(), next[1].W.ToDoubleArray());
        Assert.Equal(treeNext["0.Item2"].ToDoubleArray(), next[0].B.ToDoubleArray());
        Assert.NotEqual(layers[0].W.ToDoubleArray(), next[0].W.ToDoubleArray());
    }
}
