"""MNIST's IDX files as torch tensors, for the PyTorch side of the comparisons (compare/torch_workloads.py,
gpu/torch_gpu.py and tools/mnist_pytorch.py): the same files AutoGrad's MnistLoader reads, scaled to [0, 1] the same way."""
import torch


def read_idx(path):
    import numpy as np
    with open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load_split(directory, prefix):
    """The images (rows of 784 float32 in [0, 1]) and labels (int64) of the split named prefix ("train" or "t10k")."""
    x = torch.from_numpy(read_idx(f"{directory}/{prefix}-images-idx3-ubyte").reshape(-1, 784).astype("float32") / 255.0)
    y = torch.from_numpy(read_idx(f"{directory}/{prefix}-labels-idx1-ubyte").astype("int64"))
    return x, y
