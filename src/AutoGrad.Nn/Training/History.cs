namespace AutoGrad.Nn.Training;

/// <summary>What one epoch measured.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Loss">Mean training loss over the epoch's batches.</param>
/// <param name="Accuracy">Training accuracy over the epoch (classification), else null.</param>
/// <param name="ValidationLoss">Loss on the validation set, if any.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation set (classification), if any.</param>
/// <param name="LearningRate">The learning rate at the epoch's last step, when known.</param>
/// <param name="Seconds">Wall time of the epoch.</param>
public sealed record EpochMetrics(int Epoch, double Loss, double? Accuracy, double? ValidationLoss, double? ValidationAccuracy, double? LearningRate, double Seconds);

/// <summary>The per-epoch metrics of a training run, and why it stopped.</summary>
public sealed class History
{
    private readonly List<EpochMetrics> _epochs = [];

    /// <summary>The epochs run, in order.</summary>
    public IReadOnlyList<EpochMetrics> Epochs => _epochs;

    /// <summary>Why training stopped: the epoch limit, the target loss, or early stopping.</summary>
    public string StopReason { get; private set; } = "epoch limit reached";

    /// <summary>True once a stopping rule (the target loss or early stopping) ended the run before its epoch limit.</summary>
    public bool StoppedEarly { get; private set; }

    internal void Add(EpochMetrics metrics) => _epochs.Add(metrics);

    /// <summary>Records that a stopping rule ended the run, and why.</summary>
    internal void Stop(string reason)
    {
        StopReason = reason;
        StoppedEarly = true;
    }

    /// <summary>A copy that later epochs of this run do not change (what a checkpoint keeps).</summary>
    internal History Copy()
    {
        var copy = new History { StopReason = StopReason, StoppedEarly = StoppedEarly };
        copy._epochs.AddRange(_epochs);
        return copy;
    }

    /// <summary>The history as CSV: epoch, loss, accuracy, validation loss, validation accuracy, learning rate, seconds.</summary>
    public string ToCsv()
    {
        static string F(double? v) => v?.ToString("R", System.Globalization.CultureInfo.InvariantCulture) ?? "";
        var lines = new List<string> { "epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds" };
        lines.AddRange(_epochs.Select(e => $"{e.Epoch},{F(e.Loss)},{F(e.Accuracy)},{F(e.ValidationLoss)},{F(e.ValidationAccuracy)},{F(e.LearningRate)},{F(e.Seconds)}"));
        return string.Join("\n", lines) + "\n";
    }
}
