using System.Diagnostics;
using System.Globalization;
using AutoGrad.Nn.Data;
using AutoGrad.Nn.Optim;

namespace AutoGrad.Nn.Training;

/// <summary>A model as a pure function of parameters and a batch of inputs.</summary>
public delegate Tensor ModelFunction(TensorTree parameters, Tensor inputs);

/// <summary>A loss of model outputs against a batch's labels or targets.</summary>
public delegate Tensor LossFunction(Tensor outputs, Tensor targets);

/// <summary>How to train.</summary>
public sealed record TrainOptions
{
    /// <summary>The epoch limit.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Rows per batch: 1 is true SGD; the dataset size (or more) is full-batch training.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Whether each epoch visits the rows in a fresh random order (without replacement).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>The seed for shuffling and the validation split: the same seed gives the same loss curve.</summary>
    public ulong Seed { get; init; }

    /// <summary>A fraction of the training rows held out for validation (0 for none).</summary>
    public double ValidationSplit { get; init; }

    /// <summary>The classic stopping rule: stop once an epoch's training loss falls below this.</summary>
    public double? TargetLoss { get; init; }

    /// <summary>Early stopping: stop after this many epochs without a better validation loss, keeping the best parameters.</summary>
    public int? Patience { get; init; }

    /// <summary>Clip gradients to this global L2 norm before each update (none when null).</summary>
    public double? ClipGradientNorm { get; init; }

    /// <summary>
    /// The float dtype of batches. Null (the default) takes the parameters' dtype; a value that differs from the
    /// parameters' is refused, naming this option, rather than failing later inside the model.
    /// </summary>
    public DType? DType { get; init; }

    /// <summary>
    /// Compile the training step (<see cref="CompiledStep"/>): forward, backward and update are recorded once per batch
    /// shape and replayed, the parameters and optimizer state updated in place; the results are bitwise those of the
    /// uncompiled step. A step that cannot be compiled (an optimizer that reads its step counter on the host, such as
    /// Adam's bias correction, gradient clipping, a model that reads tensor values or draws random numbers) runs
    /// uncompiled, as with false.
    /// </summary>
    public bool Compile { get; init; } = true;

    /// <summary>
    /// The divergence rule for a loss that stays finite: training stops with a <see cref="TrainingDivergedException"/> once a
    /// batch's loss exceeds this factor times max(the run's first batch loss, 1). Normal runs, whose loss falls, never come
    /// near it; a learning rate of 1e30 trips it at the second batch. The floor of 1 is there for losses that start tiny. A
    /// regression whose targets span more than three orders of magnitude, trained with batches of a few rows, could see
    /// one batch's squared error pass a million times the first one's: raise it, or set null to turn the rule off.
    /// A loss that is NaN or infinite is always divergence.
    /// </summary>
    public double? DivergenceFactor { get; init; } = 1e6;

    /// <summary>
    /// Where to write a <see cref="Checkpoint"/> (one safetensors file, replaced atomically each time): every
    /// <see cref="CheckpointEvery"/> epochs and after the run's last epoch. Null (the default) writes none.
    /// </summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Write a checkpoint every this many epochs (1, the default: after each); the last epoch always gets one.</summary>
    public int CheckpointEvery { get; init; } = 1;

    /// <summary>
    /// Strings stored in each checkpoint (<see cref="Checkpoint.Metadata"/>), e.g. how the network was built, for the caller
    /// to check on resume: the trainer itself only sees the parameters' layout, not the model function.
    /// </summary>
    public IReadOnlyDictionary<string, string>? CheckpointMetadata { get; init; }

    /// <summary>
    /// Train data-parallel over this group of processes (null, the default: in this process alone); see
    /// <see cref="IDataParallel"/>. Every rank calls Fit with the same options and data; rank 0's starting parameters are
    /// broadcast, each rank computes the gradient of its share of every batch, and one all-reduce per step averages them, so
    /// every rank applies the same update and returns the same result. <see cref="BatchSize"/> is the global batch and must
    /// be divisible by the number of ranks. Only rank 0 writes checkpoints; callbacks run on every rank. With
    /// <see cref="Compile"/> the forward and backward pass are compiled (<see cref="Transforms.Jit(Func{TensorTree, TensorTree}, string, int)"/>)
    /// and the update runs eagerly, in place, after the all-reduce.
    /// </summary>
    public IDataParallel? DataParallel { get; init; }
}

/// <summary>The outcome of <see cref="Trainer.Fit"/>.</summary>
/// <param name="Parameters">The trained parameters (the best ones under early stopping).</param>
/// <param name="OptimizerState">The optimizer state after the last step.</param>
/// <param name="History">Per-epoch metrics.</param>
public sealed record TrainResult(TensorTree Parameters, TensorTree OptimizerState, History History)
{
    /// <summary>
    /// The run as it stood after its last epoch, to continue it: <c>Fit(…, options with { Epochs = 10 }, resumeFrom:
    /// result.Checkpoint)</c> after a 5-epoch run gives what a 10-epoch run gives, bit for bit. Its parameters are the last
    /// epoch's (under early stopping <see cref="Parameters"/> are the best ones). Null only for a result not made by Fit.
    /// </summary>
    public Checkpoint? Checkpoint { get; init; }
}

/// <summary>
/// The training loop, built only from the pieces: per batch, <c>ValueAndGrad</c> of loss∘model over the
/// parameter tree, optional clipping, then the optimizer's pure update. Nothing is hidden or mutated.
/// </summary>
public static class Trainer
{
    /// <summary>Trains and returns the new parameters, optimizer state and history.</summary>
    /// <param name="model">The network as a function of parameters and inputs.</param>
    /// <param name="parameters">Starting parameters (when resuming, only the layout the checkpoint's must have).</param>
    /// <param name="loss">The loss of outputs against targets.</param>
    /// <param name="optimizer">The update rule.</param>
    /// <param name="train">Training data; <see cref="TrainOptions.ValidationSplit"/> is taken from it.</param>
    /// <param name="options">Epochs, batch size, seed, stopping rules and checkpoints.</param>
    /// <param name="validation">A separate validation set (instead of a split).</param>
    /// <param name="onEpoch">Called after each epoch, e.g. to report progress.</param>
    /// <param name="onBatch">Called after each batch with (batch index, batches per epoch, batch loss).</param>
    /// <param name="initialOptimizerState">Optimizer state to continue from (a fresh <c>Init</c> when null).</param>
    /// <param name="resumeFrom">
    /// A checkpoint of an earlier run to continue, as PyTorch Lightning's <c>fit(ckpt_path=…)</c>: training goes on from its
    /// epoch with its parameters, optimizer state, shuffle state, history and early-stopping state, up to
    /// <see cref="TrainOptions.Epochs"/> epochs in all, and gives the uninterrupted run's results bit for bit. The run must
    /// be the same (options, optimizer, parameter layout, data); only the epoch limit and <see cref="TrainOptions.Compile"/>
    /// may change. A checkpoint of a finished run returns its results without training.
    /// </param>
    /// <remarks>Losses are taken to be means over the batch (the default <c>Reduction.Mean</c>); epoch losses are row-weighted means of them.</remarks>
    /// <exception cref="TrainingDivergedException">A batch's loss is not finite or exceeds <see cref="TrainOptions.DivergenceFactor"/>; the message names the epoch, the batch and the parameter.</exception>
    /// <exception cref="InvalidDataException"><paramref name="resumeFrom"/> was made by a different run; the message names the field that differs.</exception>
    public static TrainResult Fit(ModelFunction model, TensorTree parameters, LossFunction loss, IOptimizer optimizer, Dataset train,
        TrainOptions options, Dataset? validation = null, Action<EpochMetrics>? onEpoch = null, Action<int, int, double>? onBatch = null,
        TensorTree? initialOptimizerState = null, Checkpoint? resumeFrom = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        options = options with { DType = BatchDType(options.DType, parameters) };

        if (validation is not null && options.ValidationSplit > 0)
        {
            throw new ArgumentException("Trainer: give either a validation set or a validation split, not both");
        }

        if (resumeFrom is not null && initialOptimizerState is not null)
        {
            throw new ArgumentException("Trainer: give either an initial optimizer state or a checkpoint to resume from, not both (the checkpoint holds the optimizer state)");
        }

        // What a checkpoint records of the data, computed only once one is written or checked (it reads every row).
        var (allTrain, separateValidation) = (train, validation);
        var trainingData = new Lazy<string>(() => DataFingerprint.Of(allTrain));
        var validationData = new Lazy<string?>(() => separateValidation is null ? null : DataFingerprint.Of(separateValidation));
        string optimizerDescription = Describe(optimizer);
        resumeFrom?.CheckResumable(options, optimizer, optimizerDescription, parameters, () => trainingData.Value, () => validationData.Value);

        // The split is the seed's first draw, before any shuffle, so a resumed run draws the same split; its shuffles then
        // continue from the checkpoint's generator state.
        var generator = new Generator(options.Seed);
        if (options.ValidationSplit > 0)
        {
            (train, validation) = train.Split(options.ValidationSplit, generator);
        }

        if (resumeFrom is not null)
        {
            generator = Generator.FromState(resumeFrom.Shuffle);
        }

        // The caller's trees, or the checkpoint's, are never released or written over.
        // A checkpoint is read to the host; its trees go where the caller's parameters are, so a run resumes on its device.
        var device = ParameterDevice(parameters);
        var callerParameters = resumeFrom?.Parameters.To(device) ?? parameters;
        var callerState = resumeFrom?.OptimizerState.To(device) ?? initialOptimizerState;
        var callerBest = resumeFrom?.BestParameters?.To(device);
        bool Owned(TensorTree tree) => !ReferenceEquals(tree, callerParameters) && !ReferenceEquals(tree, callerState) && !ReferenceEquals(tree, callerBest);

        parameters = callerParameters;
        var state = callerState ?? optimizer.Init(parameters);
        var parallel = options.DataParallel is { } group ? DataParallelRun.Start(group, model, loss, options, train, validation, ref parameters, ref state) : null;
        var history = resumeFrom?.History.Copy() ?? new History();
        TensorTree best = callerBest ?? parameters;
        double bestValidation = resumeFrom?.BestValidationLoss ?? double.PositiveInfinity;
        int sinceBest = resumeFrom?.EpochsSinceBest ?? 0;
        double? firstLoss = resumeFrom?.FirstLoss;
        int epochsDone = resumeFrom?.Epoch ?? 0;
        Checkpoint Snapshot() => new(
            new CheckpointContents(epochsDone, parameters, state, best, bestValidation, sinceBest, generator.State, history.Copy(), firstLoss, options, optimizerDescription),
            trainingData, validationData);

        if (resumeFrom is not null && resumeFrom.IsFinished(options.Epochs))
        {
            return new TrainResult(options.Patience is null ? parameters : best, state, history) { Checkpoint = resumeFrom };
        }

        var loader = new DataLoader(train, options.BatchSize, options.Shuffle, generator, dtype: options.DType!.Value, device: ParameterDevice(parameters));
        var compiled = options.Compile && parallel is null ? CompileStep(model, loss, optimizer, parameters, state, options.ClipGradientNorm) : null;

        for (int epoch = epochsDone + 1; epoch <= options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();

            // Where the epoch starts: a compiled step that diverges is replayed eagerly from here (these trees live until the
            // epoch ends; the permutation is drawn from the generator when the first batch is taken).
            var (epochParameters, epochState, epochShuffle) = (parameters, state, generator.State);
            double lossSum = 0;
            int correct = 0, seen = 0, batchIndex = 0;
            using var batches = loader.Epoch().GetEnumerator();
            while (true)
            {
                // One scope per step: the batch, activations, gradients and the replaced parameters and
                // optimizer state go back to the buffer pool, so every step reuses the previous step's memory.
                using var scope = TensorScope.Begin();
                if (!batches.MoveNext())
                {
                    break;
                }

                var batch = batches.Current;
                if (compiled is not null)
                {
                    TensorTree? stepOutputs;
                    try
                    {
                        stepOutputs = compiled.Run(new TensorTree { { "x", batch.X }, { "y", batch.Y } });
                    }
                    catch (JitTraceException)
                    {
                        // The step cannot be compiled: go on uncompiled from where the compiled step stands.
                        stepOutputs = null;
                        (parameters, state) = CompiledState(compiled);
                        scope.Keep(parameters);
                        scope.Keep(state);
                        compiled = null;
                    }

                    if (stepOutputs is not null)
                    {
                        double compiledLoss = stepOutputs["loss"].Item();
                        firstLoss ??= compiledLoss;
                        if (Divergence.Check(compiledLoss, firstLoss.Value, options.DivergenceFactor) is { } problem)
                        {
                            throw ReplayDivergence(model, loss, optimizer, train, options, (epochParameters, epochState, epochShuffle),
                                (epoch, batchIndex + 1, compiledLoss, problem), firstLoss.Value, compiled!);
                        }

                        lossSum += compiledLoss * batch.X.Shape[0];
                        seen += batch.X.Shape[0];
                        if (train.IsClassification)
                        {
                            correct += (int)Math.Round(Metrics.Accuracy(stepOutputs["outputs"], batch.Y) * batch.X.Shape[0]);
                        }

                        onBatch?.Invoke(batchIndex, loader.BatchCount, compiledLoss);
                        batchIndex++; // not inside the ?. call, which skips its arguments when there is no callback
                        continue;
                    }
                }

                // Data-parallel: this rank's share of the batch, then the whole batch's loss, gradient and correct count.
                var (batchLoss, grads, rows, batchCorrect, outputs) = parallel?.Step(parameters, batch, train.IsClassification) is { } shared
                    ? (shared.Loss, shared.Gradients, shared.Rows, shared.Correct, null)
                    : LocalStep(model, loss, parameters, batch);
                firstLoss ??= batchLoss;
                if (Divergence.Check(batchLoss, firstLoss.Value, options.DivergenceFactor) is { } why)
                {
                    throw Divergence.Diagnose(why, epoch, batchIndex + 1, batchLoss, parameters, grads);
                }

                if (options.ClipGradientNorm is { } maxNorm)
                {
                    grads = GradientClipping.ClipByGlobalNorm(grads, maxNorm).Gradients;
                }

                // Trees this loop made and releases right after the update are donated, so the update writes over
                // them in place; the caller's trees and the best parameters so far are never touched.
                bool keptAsBest = options.Patience is not null && ReferenceEquals(parameters, best);
                bool ownsParameters = Owned(parameters) && !keptAsBest;
                bool ownsState = Owned(state);
                var donate = (ownsParameters ? Donation.Parameters : Donation.None) | (ownsState ? Donation.State : Donation.None);
                var (nextParameters, nextState) = optimizer.Update(grads, state, parameters, donate);
                scope.Keep(nextParameters);
                scope.Keep(nextState);
                if (ownsParameters)
                {
                    TensorScope.Release(parameters, except: nextParameters);
                }

                if (ownsState)
                {
                    TensorScope.Release(state, except: nextState);
                }

                (parameters, state) = (nextParameters, nextState);
                lossSum += batchLoss * rows;
                seen += rows;
                if (train.IsClassification)
                {
                    correct += outputs is null ? batchCorrect : (int)Math.Round(Metrics.Accuracy(outputs, batch.Y) * rows);
                }

                onBatch?.Invoke(batchIndex, loader.BatchCount, batchLoss);
                batchIndex++;
            }

            if (compiled is not null)
            {
                // The compiled step owns the current values; the epoch's bookkeeping works on copies of them. The previous
                // epoch's copies go back to the pool, except the caller's trees and, with early stopping, the best
                // parameters so far (released by the patience check once superseded). Without early stopping `best` only
                // follows the last epoch's copy, which nothing else refers to.
                var (previousParameters, previousState) = (parameters, state);
                (parameters, state) = CompiledState(compiled);
                bool keptAsBest = options.Patience is not null && ReferenceEquals(previousParameters, best);
                if (Owned(previousParameters) && !keptAsBest)
                {
                    TensorScope.Release(previousParameters);
                }

                if (Owned(previousState))
                {
                    TensorScope.Release(previousState);
                }
            }

            parallel?.CheckInStep(parameters, epoch);
            double trainLoss = lossSum / Math.Max(1, seen);
            double? trainAccuracy = train.IsClassification ? correct / (double)Math.Max(1, seen) : null;
            double? valLoss = null, valAccuracy = null;
            if (validation is not null)
            {
                var eval = Evaluate(model, parameters, loss, validation, options.DType!.Value);
                valLoss = eval.Loss;
                valAccuracy = eval.Accuracy;
            }

            var metrics = new EpochMetrics(epoch, trainLoss, trainAccuracy, valLoss, valAccuracy, CurrentLearningRate(optimizer, state), clock.Elapsed.TotalSeconds);
            history.Add(metrics);
            epochsDone = epoch;

            string? stopReason = null;
            if (options.TargetLoss is { } target && trainLoss < target)
            {
                stopReason = $"training loss {trainLoss:G4} fell below the target {target:G4} at epoch {epoch}";
                best = parameters;
            }
            else if (options.Patience is { } patience && valLoss is { } v)
            {
                if (v < bestValidation)
                {
                    if (Owned(best) && !ReferenceEquals(best, parameters))
                    {
                        TensorScope.Release(best, except: parameters); // superseded; no step refers to it any more
                    }

                    bestValidation = v;
                    best = parameters;
                    sinceBest = 0;
                }
                else if (++sinceBest >= patience)
                {
                    stopReason = $"early stopping: no better validation loss for {patience} epoch(s); best {bestValidation:G4}";
                }
            }
            else
            {
                best = parameters;
            }

            if (stopReason is not null)
            {
                history.Stop(stopReason);
            }

            // After the stopping rules, so that the checkpoint holds their counters and a run that stopped resumes as stopped;
            // before onEpoch, so that a callback sees the epoch saved.
            if (options.CheckpointPath is { } path && parallel?.Rank is null or 0 && (epoch % options.CheckpointEvery == 0 || stopReason is not null || epoch == options.Epochs))
            {
                Snapshot().Save(path);
            }

            onEpoch?.Invoke(metrics);

            if (stopReason is not null)
            {
                break;
            }
        }

        return new TrainResult(options.Patience is null ? parameters : best, state, history) { Checkpoint = Snapshot() };
    }

    /// <summary>The uncompiled loop's step in one process: the batch's loss read back, its gradients, rows and outputs.</summary>
    private static (double Loss, TensorTree Gradients, int Rows, int Correct, Tensor? Outputs) LocalStep(ModelFunction model, LossFunction loss, TensorTree parameters, Batch batch)
    {
        var (value, grads, outputs) = Gradients(model, loss, parameters, batch);
        return (value.Item(), grads, batch.X.Shape[0], 0, outputs);
    }

    /// <summary>The loss, its gradients and the model's outputs on one batch.</summary>
    internal static (Tensor Value, TensorTree Gradients, Tensor Outputs) Gradients(ModelFunction model, LossFunction loss, TensorTree parameters, Batch batch) =>
        Transforms.ValueAndGradWithAux((TensorTree p) =>
        {
            var o = model(p, batch.X);
            return (loss(o, batch.Y), o);
        })(parameters);

    /// <summary>
    /// A compiled step's divergence, diagnosed as the uncompiled loop would: the step has already written this batch's update
    /// over the parameters, so the epoch is replayed eagerly from its start (the same steps, bit for bit) up to the batch,
    /// whose parameters and gradients name the culprit. Should the replay not diverge there (a model that is not a pure
    /// function), the diagnosis falls back to the compiled step's current values.
    /// </summary>
    private static TrainingDivergedException ReplayDivergence(ModelFunction model, LossFunction loss, IOptimizer optimizer, Dataset train, TrainOptions options,
        (TensorTree Parameters, TensorTree State, GeneratorState Shuffle) start, (int Epoch, int Batch, double Loss, string Problem) diverged, double firstLoss,
        CompiledStep compiled)
    {
        var loader = new DataLoader(train, options.BatchSize, options.Shuffle, Generator.FromState(start.Shuffle), dtype: options.DType!.Value, device: ParameterDevice(start.Parameters));
        var (parameters, state) = (start.Parameters, start.State);
        using var batches = loader.Epoch().GetEnumerator();
        for (int b = 1; b <= diverged.Batch; b++)
        {
            using var scope = TensorScope.Begin();
            if (!batches.MoveNext())
            {
                break;
            }

            var (value, grads, _) = Gradients(model, loss, parameters, batches.Current);
            if (b == diverged.Batch)
            {
                double v = value.Item();
                if (Divergence.Check(v, firstLoss, options.DivergenceFactor) is { } problem)
                {
                    return Divergence.Diagnose(problem, diverged.Epoch, b, v, parameters, grads);
                }

                break;
            }

            if (options.ClipGradientNorm is { } maxNorm)
            {
                grads = GradientClipping.ClipByGlobalNorm(grads, maxNorm).Gradients;
            }

            var (nextParameters, nextState) = optimizer.Update(grads, state, parameters);
            scope.Keep(nextParameters);
            scope.Keep(nextState);
            if (!ReferenceEquals(parameters, start.Parameters))
            {
                TensorScope.Release(parameters, except: nextParameters);
            }

            if (!ReferenceEquals(state, start.State))
            {
                TensorScope.Release(state, except: nextState);
            }

            (parameters, state) = (nextParameters, nextState);
        }

        using (TensorScope.Begin())
        {
            return Divergence.FromValues(diverged.Problem, diverged.Epoch, diverged.Batch, diverged.Loss, CompiledState(compiled).Parameters);
        }
    }

    /// <summary>The optimizer's description for checkpoints, its numbers formatted the same whatever the thread's culture (it is compared across processes).</summary>
    private static string Describe(IOptimizer optimizer)
    {
        var culture = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try
        {
            return optimizer.ToString() ?? optimizer.Name;
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }

    /// <summary>
    /// The step as a <see cref="CompiledStep"/> over { params, opt }: the same operations as the uncompiled loop (value and
    /// gradient, optional clipping, the optimizer's update), taking the batch { x, y } and returning its loss and outputs.
    /// </summary>
    private static CompiledStep CompileStep(ModelFunction model, LossFunction loss, IOptimizer optimizer, TensorTree parameters, TensorTree state, double? clipNorm) =>
        new(new TensorTree { { "params", parameters }, { "opt", state } }, (s, batch) =>
        {
            var (value, grads, outputs) = Transforms.ValueAndGradWithAux((TensorTree p) =>
            {
                var o = model(p, batch["x"]);
                return (loss(o, batch["y"]), o);
            })(s.Subtree("params"));
            if (clipNorm is { } maxNorm)
            {
                grads = GradientClipping.ClipByGlobalNormTraceable(grads, maxNorm).Gradients; // nothing read back: it compiles
            }

            var (nextParameters, nextState) = optimizer.Update(grads, s.Subtree("opt"), s.Subtree("params"));
            return (new TensorTree { { "params", nextParameters }, { "opt", nextState } }, new TensorTree { { "loss", value }, { "outputs", outputs } });
        });

    private static (TensorTree Parameters, TensorTree State) CompiledState(CompiledStep step)
    {
        var state = step.State;
        return (state.Subtree("params"), state.Subtree("opt"));
    }

    /// <summary>Loss (mean over rows) and, for classification, accuracy of a model on a dataset.</summary>
    /// <param name="model">The network as a function of parameters and inputs.</param>
    /// <param name="parameters">Its parameters.</param>
    /// <param name="loss">The loss of outputs against targets (a mean over the batch).</param>
    /// <param name="data">The rows to evaluate.</param>
    /// <param name="dtype">The batches' dtype; null takes the parameters'.</param>
    /// <param name="batchSize">Rows per forward pass.</param>
    public static (double Loss, double? Accuracy) Evaluate(ModelFunction model, TensorTree parameters, LossFunction loss, Dataset data, DType? dtype = null, int batchSize = 1024)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(parameters);
        dtype = BatchDType(dtype, parameters);
        double lossSum = 0;
        int correct = 0;
        using var batches = new DataLoader(data, batchSize, dtype: dtype.Value, device: ParameterDevice(parameters)).Epoch().GetEnumerator();
        while (true)
        {
            using var scope = TensorScope.Begin(); // each batch's inputs and outputs go back to the pool
            if (!batches.MoveNext())
            {
                break;
            }

            var batch = batches.Current;
            var outputs = model(parameters, batch.X);
            lossSum += loss(outputs, batch.Y).Item() * batch.X.Shape[0];
            if (data.IsClassification)
            {
                correct += (int)Math.Round(Metrics.Accuracy(outputs, batch.Y) * batch.X.Shape[0]);
            }
        }

        return (lossSum / Math.Max(1, data.Count), data.IsClassification ? correct / (double)Math.Max(1, data.Count) : null);
    }

    /// <summary>Model outputs for every row of a dataset, in batches.</summary>
    /// <param name="model">The network as a function of parameters and inputs.</param>
    /// <param name="parameters">Its parameters.</param>
    /// <param name="data">The rows to predict.</param>
    /// <param name="dtype">The batches' dtype; null takes the parameters'.</param>
    /// <param name="batchSize">Rows per forward pass.</param>
    public static Tensor Predict(ModelFunction model, TensorTree parameters, Dataset data, DType? dtype = null, int batchSize = 1024)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(parameters);
        dtype = BatchDType(dtype, parameters);
        if (data.Count == 0)
        {
            throw new ArgumentException($"Trainer.Predict: dataset '{data.Name}' is empty");
        }

        var parts = new DataLoader(data, batchSize, dtype: dtype.Value, device: ParameterDevice(parameters)).Epoch().Select(b => model(parameters, b.X)).ToArray();
        return parts.Length == 1 ? parts[0] : Tensor.Concat(parts, 0);
    }

    /// <summary>The rate used by the last update: the schedule at the state's step counter minus one.</summary>
    private static double? CurrentLearningRate(IOptimizer optimizer, TensorTree state) =>
        state.Contains("step") && state["step"].Item() is var step and >= 1 ? optimizer.LearningRate.At((int)step - 1) : null;

    /// <summary>
    /// The batches' dtype: the one asked for, or the parameters' (their first float leaf's; float32 for a tree without
    /// one). Asking for another dtype than the parameters' is refused here, where the option can be named.
    /// </summary>
    private static DType BatchDType(DType? requested, TensorTree parameters)
    {
        var floats = parameters.Leaves().Where(l => l.Value.DType.IsFloating()).ToList();
        if (floats.Count == 0)
        {
            return requested ?? DType.Float32;
        }

        var (path, first) = (floats[0].Path, floats[0].Value.DType);
        if (requested is { } asked && asked != first)
        {
            throw new ArgumentException(
                $"Trainer: the batches' dtype {asked.Name()} (TrainOptions.DType, or the dtype argument) differs from the parameters' {first.Name()} ('{(path.Length == 0 ? "the root" : path)}'); leave it unset to follow the parameters, or convert them with Map(t => t.To(DType.{asked}))");
        }

        return first;
    }

    /// <summary>Where the batches go: the parameters' device, as for the optimizers' state, so a model moved there trains there.</summary>
    private static Device ParameterDevice(TensorTree parameters) => OptimizerState.DeviceOf(parameters);

    private static void Validate(TrainOptions o)
    {
        if (o.ClipGradientNorm is { } c && !(c > 0 && double.IsFinite(c)))
        {
            throw new ArgumentOutOfRangeException(nameof(o), c, "Trainer: the clipping norm must be positive and finite");
        }

        if (o.Epochs <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(o), o.Epochs, "Trainer: epochs must be positive");
        }

        if (o.BatchSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(o), o.BatchSize, "Trainer: the batch size must be positive");
        }

        if (o.ValidationSplit < 0 || o.ValidationSplit >= 1 || double.IsNaN(o.ValidationSplit))
        {
            throw new ArgumentOutOfRangeException(nameof(o), o.ValidationSplit, "Trainer: the validation split must be in [0, 1)");
        }

        if (o.TargetLoss is { } t && !double.IsFinite(t))
        {
            throw new ArgumentOutOfRangeException(nameof(o), t, "Trainer: the target loss must be a finite number");
        }

        if (o.Patience is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(o), o.Patience, "Trainer: patience must be positive");
        }

        if (o.DivergenceFactor is { } f && !(f > 1 && double.IsFinite(f)))
        {
            throw new ArgumentOutOfRangeException(nameof(o), f, "Trainer: the divergence factor must be a finite number above 1 (or null for no growth rule)");
        }

        if (o.CheckpointEvery <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(o), o.CheckpointEvery, "Trainer: CheckpointEvery must be positive");
        }

        if (o.CheckpointPath is "")
        {
            throw new ArgumentException("Trainer: CheckpointPath must be a file path (or null for no checkpoints)", nameof(o));
        }
    }
}
