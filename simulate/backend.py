"""Device and dtype handling, and the torch versions of the activations of :mod:`bounds.kernels`."""

from __future__ import annotations

import mmap
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from bounds.kernels import ACTIVATIONS


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` gives CUDA when available, else CPU; ``"cuda"`` without CUDA is an error."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:i]', got {device!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} requested but CUDA is not available")
    return torch.device(device)


def resolve_dtype(dtype: str | torch.dtype) -> torch.dtype:
    """``"float64"`` (default everywhere) or ``"float32"`` (training speed only)."""
    table = {"float64": torch.float64, "float32": torch.float32}
    if isinstance(dtype, torch.dtype):
        if dtype not in table.values():
            raise ValueError(f"dtype must be float32 or float64, got {dtype}")
        return dtype
    if dtype not in table:
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    return table[dtype]


# Below this size the page-fault cost is negligible and torch's caching allocator is better.
_HUGE_PAGE_MIN_BYTES = 32 << 20


def empty_large(
    shape: tuple[int, ...], *, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """``torch.empty(shape)``, backed by transparent huge pages for large CPU buffers.

    First-touch page faults of a fresh 200 MB buffer in 4 KiB pages cost ~80 ms on the test
    machine, as long as the whole 5000 x 5000 Gram takes to compute; with 2 MiB pages (Linux
    ``madvise(MADV_HUGEPAGE)``) they cost ~15 ms.  The tensor owns its mapping: it is unmapped
    when the tensor is freed.  Falls back to ``torch.empty`` off Linux, on CUDA and for small
    buffers.
    """
    numel = 1
    for s in shape:
        numel *= int(s)
    nbytes = numel * torch.empty((), dtype=dtype).element_size()
    advice = getattr(mmap, "MADV_HUGEPAGE", None)
    if device.type != "cpu" or advice is None or nbytes < _HUGE_PAGE_MIN_BYTES:
        return torch.empty(shape, dtype=dtype, device=device)
    buf = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    buf.madvise(advice)
    return torch.frombuffer(buf, dtype=dtype, count=numel).view(shape)


def to_numpy(t: torch.Tensor) -> np.ndarray:
    """A float64 numpy copy (for calls into :mod:`bounds`)."""
    return t.detach().to("cpu", torch.float64).numpy()


@dataclass(frozen=True)
class TorchActivation:
    """``phi``, ``phi'`` and ``phi''`` on tensors, with the bound ``B`` of the numpy twin."""

    name: str
    phi: Callable[[torch.Tensor], torch.Tensor]
    dphi: Callable[[torch.Tensor], torch.Tensor]
    ddphi: Callable[[torch.Tensor], torch.Tensor]
    B: float
    dphi_: Callable[[torch.Tensor], torch.Tensor]  # in place: overwrites its argument with phi'


def _sig_prime(z: torch.Tensor) -> torch.Tensor:
    s = torch.sigmoid(z)
    return s * (1 - s)


def _gauss_dphi_(z: torch.Tensor) -> torch.Tensor:
    return z.square_().mul_(-0.5).exp_()


_SQRT_HALF_PI = float(np.sqrt(np.pi / 2))
_TORCH = {
    "softplus": (torch.nn.functional.softplus, torch.sigmoid, _sig_prime, torch.sigmoid_),
    "gaussian": (
        lambda z: _SQRT_HALF_PI * torch.erf(z / np.sqrt(2.0)),
        lambda z: torch.exp(-(z**2) / 2),
        lambda z: -z * torch.exp(-(z**2) / 2),
        _gauss_dphi_,
    ),
}


def torch_activation(name: str) -> TorchActivation:
    """The torch twin of ``bounds.kernels.ACTIVATIONS[name]`` (smooth activations only)."""
    if name not in _TORCH:
        raise ValueError(
            f"activation must be one of {sorted(_TORCH)} (smooth, as the theorems "
            f"require), got {name!r}"
        )
    phi, dphi, ddphi, dphi_ = _TORCH[name]
    return TorchActivation(name, phi, dphi, ddphi, ACTIVATIONS[name].B, dphi_)
