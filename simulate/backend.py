"""Device and dtype handling, and torch's reading of the activations of :mod:`bounds.activations`."""

from __future__ import annotations

import mmap

import numpy as np
import torch

from bounds.activations import ACTIVATIONS, ArrayOps, BoundActivation


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """The torch device for ``device``: ``"auto"`` gives CUDA when available, else CPU.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:i"``; a :class:`torch.device` is returned
        as it is.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        For any other string, or a CUDA device when CUDA is not available.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
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
    """The torch dtype for ``"float64"`` (default everywhere) or ``"float32"`` (training speed only).

    Parameters
    ----------
    dtype : str or torch.dtype
        ``"float64"``, ``"float32"``, or one of those two torch dtypes.

    Returns
    -------
    torch.dtype

    Raises
    ------
    ValueError
        For any other name or dtype.

    Examples
    --------
    >>> resolve_dtype("float32")
    torch.float32
    """
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

    First-touch page faults of a fresh buffer of hundreds of MB in 4 KiB pages can cost as much
    as the product that fills it; 2 MiB pages (Linux ``madvise(MADV_HUGEPAGE)``) cut that cost
    (figures in ``benchmarks/README.md``).  The tensor owns its mapping: it is unmapped when the
    tensor is freed.  Falls back to ``torch.empty`` off Linux, on CUDA and for buffers below
    32 MiB.

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor.
    dtype : torch.dtype
        Its dtype.
    device : torch.device
        Its device.

    Returns
    -------
    torch.Tensor
        Uninitialised, C-contiguous, of ``shape``, ``dtype`` and ``device``.

    Examples
    --------
    >>> t = empty_large((2, 3), dtype=torch.float64, device=torch.device("cpu"))
    >>> tuple(t.shape), t.dtype
    ((2, 3), torch.float64)
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
    """A float64 numpy copy (for calls into :mod:`bounds`).

    Parameters
    ----------
    t : torch.Tensor
        Any device and floating dtype; detached from autograd.

    Returns
    -------
    ndarray
        float64, the shape of ``t``, on the CPU.

    Examples
    --------
    >>> to_numpy(torch.ones(2, dtype=torch.float32)).dtype
    dtype('float64')
    """
    return t.detach().to("cpu", torch.float64).numpy()


class _TorchOps:
    """:class:`bounds.activations.ArrayOps` on torch tensors: the torch reading of every
    activation formula of :data:`bounds.activations.ACTIVATIONS`."""

    name = "torch"

    @staticmethod
    def exp(x: torch.Tensor) -> torch.Tensor:
        return torch.exp(x)

    @staticmethod
    def erf(x: torch.Tensor) -> torch.Tensor:
        return torch.erf(x)

    @staticmethod
    def sigmoid(x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(x)

    @staticmethod
    def softplus(x: torch.Tensor) -> torch.Tensor:
        # torch's default threshold 20 returns x above it, a relative error of e^-20 / 20 ~ 1e-10
        # in float64; above SOFTPLUS_THRESHOLD, log(1 + e^x) = x to float64 precision.
        return torch.nn.functional.softplus(x, threshold=SOFTPLUS_THRESHOLD)

    @staticmethod
    def relu(x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)

    @staticmethod
    def step(x: torch.Tensor) -> torch.Tensor:
        return (x > 0).to(x.dtype)

    @staticmethod
    def exp_(x: torch.Tensor) -> torch.Tensor:
        return x.exp_()

    @staticmethod
    def sigmoid_(x: torch.Tensor) -> torch.Tensor:
        return x.sigmoid_()

    @staticmethod
    def square_(x: torch.Tensor) -> torch.Tensor:
        return x.square_()

    @staticmethod
    def mul_(x: torch.Tensor, c: float) -> torch.Tensor:
        return x.mul_(c)

    @staticmethod
    def assign_(x: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        return x.copy_(value)


#: Above this, softplus returns its argument: e^-40 / 40 ~ 1e-19 is below float64's ulp of x.
SOFTPLUS_THRESHOLD = 40.0
#: torch's :class:`bounds.activations.ArrayOps`.
TORCH: ArrayOps = _TorchOps()

#: ``phi``, ``phi'``, ``phi''`` (None for ReLU), in-place ``phi'`` and ``B`` on tensors.
TorchActivation = BoundActivation


def torch_activation(name: str) -> TorchActivation:
    """``bounds.activations.ACTIVATIONS[name]`` on tensors (smooth activations only: the
    theorems need a bounded ``phi''``).

    Parameters
    ----------
    name : str
        A registered smooth activation (``"softplus"``, ``"gaussian"``, ...).

    Returns
    -------
    TorchActivation
        ``phi``, ``phi'``, ``phi''``, the in-place ``phi'`` and ``B``, on tensors.

    Raises
    ------
    ValueError
        If ``name`` is not a registered smooth activation (e.g. ``"relu"``).

    Examples
    --------
    >>> act = torch_activation("softplus")
    >>> float(act.dphi(torch.tensor(0.0, dtype=torch.float64))), act.B
    (0.5, 1.0)
    """
    smooth = sorted(k for k, a in ACTIVATIONS.items() if a.smooth)
    if name not in smooth:
        raise ValueError(
            f"activation must be one of {smooth} (smooth, as the theorems require), got {name!r}"
        )
    return ACTIVATIONS[name].on(TORCH)
