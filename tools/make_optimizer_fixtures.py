#!/usr/bin/env python3
"""Reference numbers for AutoGrad.Nn's optimizers, schedules and gradient clipping, made with PyTorch.

Made with:
    /usr/bin/python3 tools/make_optimizer_fixtures.py      (run from the repository root)
using Debian bookworm's python3-torch 1.13.1+dfsg-4 (torch.__version__ == "1.13.0a0") and
python3-numpy 1.24.2 on CPU, installed with
    apt-get update && apt-get install -y python3-torch python3-numpy
It writes tests/AutoGrad.Nn.Tests/Fixtures/optimizers.json (the torch version is recorded in the file too).

What it does, all in float64 (torch.set_default_dtype(torch.float64), so that PyTorch's scalar state such
as NAdam's mu_product and the step counters are float64 as well):
- two parameters, "w" [3, 2] and "b" [2], start from the fixed values in INITIAL below;
- the gradient at step k (0-based) is  2·(p − target) + 0.1·sin(k + offset + i)  for element i of the
  flattened parameter (offset 0 for "w", 6 for "b"), evaluated at the current parameters;
- every configuration in CONFIGS runs for STEPS steps: gradient, optional clip_grad_norm_, the
  optimizer's step, then the scheduler's step. For every step the file records the learning rate the
  optimizer used, the gradients it was given (before clipping), the global norm and clipped gradients
  where clipping is on, and the parameters after the step. The C# tests feed the recorded gradients,
  so each step is compared on exactly the same inputs;
- SCHEDULES are run on their own for SCHEDULE_STEPS steps and their learning rates recorded;
- "defaults" holds each optimizer's hyper-parameter defaults, read from its signature (SGD's lr is
  required and has none).

Notes on matching PyTorch:
- Optimizers run their default single-tensor ("for-loop") CPU implementation, except NAdam: in torch
  1.13 the single-tensor NAdam computes mu_product_next as mu_product·mu·mu_next, one factor mu too
  many (fixed in torch 2.0). NAdam is therefore run with foreach=True, whose formula
  lr·mu_next / (1 − mu_product·mu_next) is the one later torch versions use for both code paths.
- The linear warm-up followed by cosine annealing is SequentialLR([LinearLR, CosineAnnealingLR]).
"""

import inspect
import json
import math
import os
import sys
import warnings

import torch

torch.set_default_dtype(torch.float64)
warnings.filterwarnings("ignore", category=UserWarning)

STEPS = 5
SCHEDULE_STEPS = 12

INITIAL = {
    "w": ([3, 2], [0.5, -1.2, 1.5, 0.8, -0.7, 2.0]),
    "b": ([2], [0.3, -0.9]),
}
TARGET = {
    "w": [1.0, -0.5, 0.6, 1.1, -1.5, 1.2],
    "b": [0.7, -0.4],
}
OFFSET = {"w": 0, "b": 6}

OUT = os.path.join("tests", "AutoGrad.Nn.Tests", "Fixtures", "optimizers.json")


def gradient(name, p, step):
    target = torch.tensor(TARGET[name]).reshape(p.shape)
    index = torch.arange(p.numel(), dtype=torch.float64).reshape(p.shape)
    return 2.0 * (p.detach() - target) + 0.1 * torch.sin(step + OFFSET[name] + index)


def make_optimizer(kind, params, hyper):
    h = dict(hyper)
    if "betas" in h:
        h["betas"] = tuple(h["betas"])
    if kind == "SGD":
        return torch.optim.SGD(params, **h)
    if kind == "RMSprop":
        return torch.optim.RMSprop(params, **h)
    if kind == "Adam":
        return torch.optim.Adam(params, **h)
    if kind == "AdamW":
        return torch.optim.AdamW(params, **h)
    if kind == "Adadelta":
        return torch.optim.Adadelta(params, **h)
    if kind == "Adamax":
        return torch.optim.Adamax(params, **h)
    if kind == "NAdam":
        # See the module docstring: the single-tensor NAdam of torch 1.13 has the mu_product bug.
        return torch.optim.NAdam(params, foreach=True, **h)
    if kind == "Adagrad":
        return torch.optim.Adagrad(params, **h)
    raise ValueError(kind)


def make_scheduler(optimizer, schedule):
    if schedule is None:
        return None
    t = schedule["type"]
    S = torch.optim.lr_scheduler
    if t == "step":
        return S.StepLR(optimizer, step_size=schedule["step_size"], gamma=schedule["gamma"])
    if t == "exponential":
        return S.ExponentialLR(optimizer, gamma=schedule["gamma"])
    if t == "cosine":
        return S.CosineAnnealingLR(optimizer, T_max=schedule["t_max"], eta_min=schedule["eta_min"])
    if t == "inverse_time":
        decay = schedule["decay"]
        return S.LambdaLR(optimizer, lambda s: 1.0 / (1.0 + decay * s))
    if t == "linear_warmup":
        warmup = S.LinearLR(optimizer, start_factor=schedule["start_factor"], end_factor=1.0,
                            total_iters=schedule["warmup_steps"])
        after = schedule.get("after")
        if after is None:
            return warmup
        assert after["type"] == "cosine"
        cosine = S.CosineAnnealingLR(optimizer, T_max=after["t_max"], eta_min=after["eta_min"])
        return S.SequentialLR(optimizer, [warmup, cosine], milestones=[schedule["warmup_steps"]])
    raise ValueError(t)


# Each configuration: name, torch optimizer class, its keyword arguments (PyTorch's names),
# optional schedule (on the optimizer's lr) and optional clip_grad_norm_ max_norm.
CONFIGS = [
    ("sgd", "SGD", {"lr": 0.1}, None, None),
    ("sgd_momentum", "SGD", {"lr": 0.1, "momentum": 0.9}, None, None),
    ("sgd_nesterov_weight_decay", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, None, None),
    ("sgd_dampening", "SGD", {"lr": 0.1, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.05}, None, None),
    ("rmsprop_defaults", "RMSprop", {}, None, None),
    ("rmsprop_centered_momentum", "RMSprop", {"lr": 0.02, "alpha": 0.9, "eps": 1e-6, "momentum": 0.5, "centered": True, "weight_decay": 0.1}, None, None),
    ("rmsprop_momentum", "RMSprop", {"lr": 0.01, "momentum": 0.9}, None, None),
    ("adam_defaults", "Adam", {}, None, None),
    ("adam", "Adam", {"lr": 0.1, "betas": [0.8, 0.99], "eps": 1e-6}, None, None),
    ("adam_amsgrad", "Adam", {"lr": 0.1, "betas": [0.8, 0.9], "amsgrad": True}, None, None),
    ("adam_weight_decay", "Adam", {"lr": 0.05, "weight_decay": 0.1}, None, None),
    ("adamw_defaults", "AdamW", {}, None, None),
    ("adamw_amsgrad", "AdamW", {"lr": 0.05, "betas": [0.85, 0.95], "weight_decay": 0.2, "amsgrad": True}, None, None),
    ("adadelta_defaults", "Adadelta", {}, None, None),
    ("adadelta_weight_decay", "Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.1}, None, None),
    ("adamax_defaults", "Adamax", {}, None, None),
    ("adamax_weight_decay", "Adamax", {"lr": 0.05, "betas": [0.85, 0.98], "eps": 1e-6, "weight_decay": 0.1}, None, None),
    ("nadam_defaults", "NAdam", {}, None, None),
    ("nadam_weight_decay", "NAdam", {"lr": 0.05, "betas": [0.85, 0.99], "eps": 1e-6, "weight_decay": 0.1, "momentum_decay": 0.01}, None, None),
    ("adagrad_defaults", "Adagrad", {}, None, None),
    ("adagrad_lr_decay", "Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.2, "eps": 1e-8}, None, None),
    ("sgd_step_schedule", "SGD", {"lr": 0.1, "momentum": 0.9}, {"type": "step", "step_size": 2, "gamma": 0.5}, None),
    ("sgd_exponential_schedule", "SGD", {"lr": 0.1}, {"type": "exponential", "gamma": 0.8}, None),
    ("sgd_cosine_schedule", "SGD", {"lr": 0.1, "momentum": 0.5}, {"type": "cosine", "t_max": 4, "eta_min": 0.01}, None),
    ("sgd_linear_warmup_schedule", "SGD", {"lr": 0.1}, {"type": "linear_warmup", "start_factor": 0.25, "warmup_steps": 3}, None),
    ("sgd_warmup_cosine_schedule", "SGD", {"lr": 0.1}, {"type": "linear_warmup", "start_factor": 0.25, "warmup_steps": 2, "after": {"type": "cosine", "t_max": 3, "eta_min": 0.01}}, None),
    ("sgd_inverse_time_schedule", "SGD", {"lr": 0.1}, {"type": "inverse_time", "decay": 0.5}, None),
    ("sgd_clip_grad_norm", "SGD", {"lr": 0.1, "momentum": 0.9}, None, 2.0),
    ("adam_clip_grad_norm_cosine", "Adam", {"lr": 0.1}, {"type": "cosine", "t_max": 5, "eta_min": 0.0}, 1.5),
]

SCHEDULES = [
    ("step", 0.1, {"type": "step", "step_size": 3, "gamma": 0.5}),
    ("exponential", 0.1, {"type": "exponential", "gamma": 0.9}),
    ("cosine", 0.1, {"type": "cosine", "t_max": 4, "eta_min": 0.01}),
    ("cosine_long", 1.0, {"type": "cosine", "t_max": 10, "eta_min": 0.0}),
    ("linear_warmup", 0.1, {"type": "linear_warmup", "start_factor": 0.2, "warmup_steps": 4}),
    ("linear_warmup_cosine", 0.1, {"type": "linear_warmup", "start_factor": 0.1, "warmup_steps": 3, "after": {"type": "cosine", "t_max": 6, "eta_min": 0.001}}),
    ("inverse_time", 0.5, {"type": "inverse_time", "decay": 0.25}),
]


OPTIMIZER_CLASSES = ["SGD", "RMSprop", "Adam", "AdamW", "Adadelta", "Adamax", "NAdam", "Adagrad"]
# Keyword arguments that select an implementation or a mode AutoGrad does not have, not a hyper-parameter.
NOT_HYPER = {"params", "foreach", "maximize", "capturable", "differentiable", "fused"}


def defaults():
    """Every optimizer's hyper-parameter defaults, read from its constructor's signature."""
    result = {}
    for kind in OPTIMIZER_CLASSES:
        signature = inspect.signature(getattr(torch.optim, kind).__init__)
        result[kind] = {name: (list(p.default) if isinstance(p.default, tuple) else p.default)
                        for name, p in signature.parameters.items()
                        if name != "self" and name not in NOT_HYPER
                        and isinstance(p.default, (int, float, bool, tuple))}
    return result


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def run_config(name, kind, hyper, schedule, clip):
    params = {k: torch.tensor(v, requires_grad=True).reshape(shape).detach().requires_grad_(True)
              for k, (shape, v) in INITIAL.items()}
    optimizer = make_optimizer(kind, list(params.values()), hyper)
    scheduler = make_scheduler(optimizer, schedule)
    steps = []
    for k in range(STEPS):
        record = {"lr": optimizer.param_groups[0]["lr"]}
        grads = {n: gradient(n, p, k) for n, p in params.items()}
        record["grads"] = {n: flat(g) for n, g in grads.items()}
        for n, p in params.items():
            p.grad = grads[n].clone()
        if clip is not None:
            norm = torch.nn.utils.clip_grad_norm_(list(params.values()), clip)
            record["grad_norm"] = float(norm)
            record["clipped_grads"] = {n: flat(p.grad) for n, p in params.items()}
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        record["params"] = {n: flat(p) for n, p in params.items()}
        steps.append(record)
    entry = {"name": name, "optimizer": kind, "hyper": hyper, "schedule": schedule, "steps": steps}
    if clip is not None:
        entry["clip_max_norm"] = clip
    return entry


def run_schedule(name, lr, schedule):
    p = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=lr)
    scheduler = make_scheduler(optimizer, schedule)
    lrs = []
    for _ in range(SCHEDULE_STEPS):
        lrs.append(optimizer.param_groups[0]["lr"])
        p.grad = torch.zeros(1)
        optimizer.step()
        scheduler.step()
    return {"name": name, "lr": lr, "schedule": schedule, "lrs": lrs}


def main():
    configs = [run_config(*c) for c in CONFIGS]
    clipped = [s for c in configs if "clip_max_norm" in c for s in c["steps"]]
    # The clipping configurations must exercise both branches: scaled and left alone.
    assert any(s["grad_norm"] > 2.0 for s in clipped) and any(s["grad_norm"] < 1.5 for s in clipped), \
        [s["grad_norm"] for s in clipped]
    fixture = {
        "generator": "tools/make_optimizer_fixtures.py",
        "command": "/usr/bin/python3 tools/make_optimizer_fixtures.py",
        "torch_version": torch.__version__,
        "python_version": sys.version.split()[0],
        "dtype": "float64",
        "steps": STEPS,
        "gradient": "2*(p - target) + 0.1*sin(step + offset + i), i the flat index; recorded per step",
        "defaults": defaults(),
        "initial": {n: {"shape": shape, "values": values} for n, (shape, values) in INITIAL.items()},
        "target": TARGET,
        "configs": configs,
        "schedules": [run_schedule(*s) for s in SCHEDULES],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {len(configs)} optimizer configurations, {len(fixture['schedules'])} schedules")


if __name__ == "__main__":
    main()
