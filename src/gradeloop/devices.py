"""Where a local model runs and in what precision: `device=auto|cpu|cuda|cuda:N|mps`, `dtype=auto|...`.

`auto` picks the accelerator that is present (CUDA, then Apple MPS, else the CPU) and the
fastest precision that is safe on it: bfloat16 on GPUs that support it, float16 on older CUDA
cards and MPS, float32 on the CPU. Both the `hf:` target and the tuning strategies resolve
through here, so evaluation and training agree on where and how a model runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gradeloop.errors import InputError

DEVICES = ("auto", "cpu", "cuda", "mps")  # plus cuda:N
DTYPES = ("auto", "float32", "bfloat16", "float16")


@dataclass(frozen=True, slots=True)
class Placement:
    """A resolved device (`cpu`, `cuda:0`, `mps`) and torch dtype name."""

    device: str
    dtype: str

    @property
    def kind(self) -> str:
        """`cpu`, `cuda` or `mps`: the part that changes numerics (part of a model's fingerprint)."""
        return self.device.split(":")[0]

    def torch_dtype(self) -> Any:
        import torch

        return getattr(torch, self.dtype)


def check_device(name: str) -> str:
    """Validate a device name without touching torch (for config and spec parsing)."""
    if name in DEVICES:
        return name
    kind, _, index = name.partition(":")
    if kind == "cuda" and index.isdigit():
        return name
    raise InputError(f"unknown device {name!r}; expected auto, cpu, cuda, cuda:N or mps", field="device")


def check_dtype(name: str) -> str:
    """Validate a dtype name (bf16/fp16/fp32 accepted as aliases)."""
    aliases = {"bf16": "bfloat16", "fp16": "float16", "half": "float16", "fp32": "float32", "float": "float32"}
    name = aliases.get(name, name)
    if name not in DTYPES:
        raise InputError(f"unknown dtype {name!r}; expected auto, float32, bfloat16 or float16", field="dtype")
    return name


def resolve_device(name: str = "auto") -> str:
    """`auto` → the accelerator present; an explicit accelerator that is absent is bad input."""
    import torch

    name = check_device(name)
    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if name == "auto":
        return "cuda:0" if cuda else "mps" if mps else "cpu"
    if name.startswith("cuda"):
        if not cuda:
            raise InputError(f"device {name!r} asked for, but torch sees no CUDA device", field="device")
        index = int(name.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise InputError(f"device {name!r} asked for, but torch sees {torch.cuda.device_count()} CUDA "
                             "device(s)", field="device")
        return f"cuda:{index}"
    if name == "mps" and not mps:
        raise InputError("device 'mps' asked for, but torch sees no Apple MPS device", field="device")
    return name


def resolve_dtype(name: str, device: str) -> str:
    """`auto` → bfloat16 where the device supports it, float16 on other accelerators, float32 on CPU."""
    import torch

    name = check_dtype(name)
    if name != "auto":
        return name
    if device.startswith("cuda"):
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    if device == "mps":
        return "float16"
    return "float32"


def resolve(device: str = "auto", dtype: str = "auto") -> Placement:
    """Both at once: the placement a model is loaded with."""
    resolved = resolve_device(device)
    return Placement(resolved, resolve_dtype(dtype, resolved))
