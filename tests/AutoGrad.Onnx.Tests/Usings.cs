global using AutoGrad.Nn.Layers;
global using Xunit;
