global using AutoGrad.Nn.Layers;
global using Xunit;
global using AutoGrad.Cli.Tests;
