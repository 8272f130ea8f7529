using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Optim;
using Xunit;

namespace AutoGrad.Cli.Tests;

/// <summary>--optimizer and --loss go through the library's one parser (Optimizers.FromName, Loss.FromName): Keras's names work (issue 19).</summary>
public class KerasNamesCliTests
{
    [Fact]
    public void TrainTakesKerasNamesForTheOptimizerAndTheLoss()
    {
        var dir = CliRunner.TempDir();
        var (code, output) = CliRunner.Run("train", "--dataset", "iris", "--optimizer", "RMSprop", "--lr", "0.01", "--loss", "sparse_categorical_crossentropy",
            "--epochs", "3", "--output", dir, "--checkpoint-every", "0");
        Assert.True(code == 0, output);
        Assert.Contains("; rmsprop, lr 0.01,", output);
        Assert.Contains("test accuracy", output);

        var (evalCode, evalOutput) = CliRunner.Run("evaluate", "--model", Path.Combine(dir, "model.safetensors"));
        Assert.True(evalCode == 0, evalOutput); // the saved loss name is one evaluate knows
    }

    [Fact]
    public void UnknownNamesAreTheLibrarysErrorListingTheNames()
    {
        var (code, output) = CliRunner.Run("train", "--dataset", "xor", "--optimizer", "adamm");
        Assert.NotEqual(0, code);
        Assert.Contains("error: " + Assert.Throws<ArgumentException>(() => Optimizers.FromName("adamm")).Message, output);

        (code, output) = CliRunner.Run("train", "--dataset", "xor", "--loss", "hinge");
        Assert.NotEqual(0, code);
        Assert.Contains("error: " + Assert.Throws<ArgumentException>(() => Loss.FromName("hinge")).Message, output);
    }

    [Fact]
    public void ALossOnProbabilitiesIsRefusedForTheCommandsLinearOutputs()
    {
        var (code, output) = CliRunner.Run("train", "--dataset", "xor", "--loss", "binary_crossentropy");
        Assert.NotEqual(0, code);
        Assert.Contains("--loss binary_crossentropy takes probabilities (fromLogits: false), but the command's networks end in a linear layer", output);
    }

    [Theory]
    [InlineData("adam", 0.001)]
    [InlineData("sgd", 0.01)]
    public void OptimizerChoiceBuildsThroughTheLibrary(string name, double rate)
    {
        var cli = OptimizerChoice.Create(name, rate, "constant", 10);
        var library = Optimizers.FromName(name, rate);
        Assert.Equal(library.GetType(), cli.GetType());
        Assert.Equal(library.Name, cli.Name);
        Assert.Equal(Optimizers.Names, OptimizerChoice.Names);
        Assert.Equal(["auto", .. Loss.Names], LossChoice.Names);
    }
}
