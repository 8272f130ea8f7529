using System.Runtime.CompilerServices;
using AutoGrad.Ops;

namespace AutoGrad;

/// <summary>Softmax cross-entropy of logits against integer labels, fused.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// The cross-entropy of each row of these logits [n, classes] against int32 <paramref name="labels"/> [n]:
    /// −log softmax(z[r])[label[r]] = logsumexp(z[r]) − z[r, label[r]], a tensor [n] (PyTorch's
    /// <c>cross_entropy(reduction="none")</c>). The same value as <c>−LogSoftmax(1).TakeAlongAxis(labels, 1)</c>, computed
    /// stably in one pass per row; its gradient with respect to the logits is (softmax(z) − onehot(labels))·g, also in
    /// one pass, and differentiable again. Labels have no gradient; one outside [0, classes) is an error.
    /// </summary>
    public Tensor SoftmaxCrossEntropy(Tensor labels, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        SoftmaxCrossEntropyPrimitive.Apply(this, labels, new CallSite(file, line));
}
