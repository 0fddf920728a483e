"""The one-hidden-layer network x -> V phi(W x) of eq. (1.1) with closed-form Jacobian operations.

With ``D = phi'(X W^T)`` (n x k) and class-major vectors (docs/theory.md#class-major):

* ``J dW``  (6.27): class ``l``, sample ``i``: ``sum_s V[l,s] D[i,s] <dW_s, x_i>``
  = ``((D ⊙ (X dW^T)) V^T)^T``;
* ``J^T u`` (6.29): ``sum_l diag(v_l) phi'(W X^T) diag(u_l) X`` = ``((U^T V) ⊙ D)^T X``;
* ``J J^T``: all ``K^2`` blocks at once, ``(Q Q^T) ⊙ (1_{KxK} ⊗ X X^T)`` with
  ``Q = [D diag(v_1); ...; D diag(v_K)]`` (Lemma 6.11's block formula);
* the gradient of (1.2) is ``J^T r``.

No autograd in these paths; tests compare each with ``torch.func``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from bounds import validate
from bounds.formulas import STEP_SHALLOW
from bounds.theorems import evaluate_expression, nu_random_init

from .backend import (
    TorchActivation,
    empty_large,
    resolve_device,
    resolve_dtype,
    torch_activation,
)

#: Default budget (bytes) for the ``n x k``-shaped buffers of one call: above it the methods with
#: a ``max_bytes`` parameter accumulate over chunks of hidden units (units are independent).
CHUNK_BYTES = 1 << 30


def unit_chunk(k: int, floats_per_unit: int, itemsize: int, max_bytes: int | None) -> int:
    """Hidden units per chunk so that ``floats_per_unit`` numbers per unit fit ``max_bytes``.

    Parameters
    ----------
    k : int
        Width.
    floats_per_unit : int
        Numbers a method holds per hidden unit (e.g. ``(K + 3) n`` for :meth:`ShallowNet.gram`).
    itemsize : int
        Bytes per number.
    max_bytes : int or None
        The budget (``None``: :data:`CHUNK_BYTES`); at least one unit per chunk.

    Returns
    -------
    int
        ``k`` when everything fits (the unchunked path), else the chunk size.

    Raises
    ------
    ValueError
        If ``max_bytes`` is not a positive integer.

    Examples
    --------
    >>> unit_chunk(1000, 10, 8, 8000), unit_chunk(1000, 10, 8, None)
    (100, 1000)
    """
    budget = CHUNK_BYTES if max_bytes is None else validate.count("max_bytes", max_bytes)
    return max(1, min(k, budget // max(1, floats_per_unit * itemsize)))


@dataclass(frozen=True, eq=False)
class ShallowNet:
    """``f(x; W) = V phi(W x)`` of eq. (1.1) with ``W`` (k x d) trained and ``V`` (K x k) fixed.

    Tensors share one device and dtype.  All methods are pure: they return new tensors.
    Inputs ``X`` are (n, d) tensors of the network's device and dtype; vectors over the
    ``nK`` outputs are class-major (docs/theory.md#class-major).

    Parameters
    ----------
    W : torch.Tensor, shape (k, d)
        Input-layer weights (the trained parameters), one row ``w_r`` per hidden unit.
    V : torch.Tensor, shape (K, k)
        Output-layer weights, fixed during training; same device and dtype as ``W``.
    activation : str
        A smooth activation of :data:`bounds.activations.ACTIVATIONS` (default ``"softplus"``).

    Raises
    ------
    ValueError
        If the shapes do not match, ``W`` and ``V`` differ in device or dtype, or the
        activation is not a registered smooth one.

    Examples
    --------
    >>> net = init_random(k=8, d=3, K=2, nu=1.0, seed=0, device="cpu")
    >>> (net.k, net.d, net.K)
    (8, 3, 2)
    >>> X = torch.eye(3, dtype=torch.float64)
    >>> tuple(net.forward(X).shape), tuple(net.gram(X).shape)
    ((3, 2), (6, 6))
    >>> J = net.jacobian(X)  # the explicit (nK, kd) Jacobian, for small problems
    >>> bool(torch.allclose(net.gram(X), J @ J.T))
    True
    """

    W: torch.Tensor
    V: torch.Tensor
    activation: str = "softplus"

    def __post_init__(self) -> None:
        if self.W.ndim != 2 or self.V.ndim != 2 or self.V.shape[1] != self.W.shape[0]:
            raise ValueError(
                f"W must be (k, d) and V (K, k) with matching k; got W {tuple(self.W.shape)}, "
                f"V {tuple(self.V.shape)}"
            )
        if self.W.device != self.V.device or self.W.dtype != self.V.dtype:
            raise ValueError("W and V must share device and dtype")
        torch_activation(self.activation)

    @property
    def act(self) -> TorchActivation:
        """The activation on tensors (``phi``, ``phi'``, ``phi''``, ``B``): :func:`simulate.backend.torch_activation`."""
        return torch_activation(self.activation)

    @property
    def k(self) -> int:
        """Width: the number of hidden units (rows of ``W``)."""
        return int(self.W.shape[0])

    @property
    def d(self) -> int:
        """Input dimension (columns of ``W``)."""
        return int(self.W.shape[1])

    @property
    def K(self) -> int:
        """Number of outputs (classes; rows of ``V``)."""
        return int(self.V.shape[0])

    def with_W(self, W: torch.Tensor) -> ShallowNet:
        """The same network with input weights ``W`` (k x d) in place of its own."""
        return ShallowNet(W, self.V, self.activation)

    def with_V(self, V: torch.Tensor) -> ShallowNet:
        """The same network with output weights ``V`` (K x k) in place of its own."""
        return ShallowNet(self.W, V, self.activation)

    def units(self, lo: int, hi: int) -> ShallowNet:
        """The sub-network of hidden units ``lo:hi`` (views of ``W`` and ``V``, no copy).

        Every method here is a sum (or, for :meth:`vjp`, a stack) over hidden units, so the
        chunked paths are sums of the methods on these sub-networks.
        """
        return ShallowNet(self.W[lo:hi], self.V[:, lo:hi], self.activation)

    def _chunks(
        self, X: torch.Tensor, per_row: int, max_bytes: int | None
    ) -> list[tuple[int, int]]:
        """Chunks ``(lo, hi)`` of hidden units for ``per_row`` numbers per (sample, unit)."""
        step = unit_chunk(self.k, per_row * X.shape[0], self.W.element_size(), max_bytes)
        return [(lo, min(lo + step, self.k)) for lo in range(0, self.k, step)]

    def _check_X(self, X: torch.Tensor) -> None:
        if X.ndim != 2 or X.shape[1] != self.d:
            raise ValueError(f"X must be (n, {self.d}), got {tuple(X.shape)}")

    # ------------------------------------------------------------------ forward
    def forward(self, X: torch.Tensor, *, max_bytes: int | None = None) -> torch.Tensor:
        """Outputs ``f(x_i) = V phi(W x_i)`` of eq. (1.1).

        Parameters
        ----------
        X : torch.Tensor, shape (n, d)
            Inputs, one per row.
        max_bytes : int, optional
            Budget for the ``n x k`` buffers (default :data:`CHUNK_BYTES`); above it the sum
            over hidden units is accumulated chunk by chunk.

        Returns
        -------
        torch.Tensor, shape (n, K)
            Row ``i`` is ``f(x_i)``.

        Raises
        ------
        ValueError
            If ``X`` is not (n, d).
        """
        self._check_X(X)
        cuts = self._chunks(X, 2, max_bytes)
        if len(cuts) == 1:
            return self.act.phi(X @ self.W.T) @ self.V.T
        out = torch.zeros(X.shape[0], self.K, dtype=X.dtype, device=X.device)
        for lo, hi in cuts:
            sub = self.units(lo, hi)
            out.addmm_(sub.act.phi(X @ sub.W.T), sub.V.T)
        return out

    # ------------------------------------------------------------------ Jacobian, (6.27)-(6.29)
    def jvp(self, X: torch.Tensor, dW: torch.Tensor) -> torch.Tensor:
        """``J(W) vect(dW)``, eq. (6.27), without forming ``J``.

        Parameters
        ----------
        X : torch.Tensor, shape (n, d)
            Inputs.
        dW : torch.Tensor, shape (k, d)
            A direction in weight space.

        Returns
        -------
        torch.Tensor, shape (K, n)
            Row ``l`` holds class ``l``; ``.reshape(-1)`` gives the class-major vector.

        Examples
        --------
        ``<J dW, u> = <dW, J^T u>`` (the adjoint of :meth:`vjp`):

        >>> net = init_random(k=6, d=3, K=2, nu=1.0, seed=0, device="cpu")
        >>> g = torch.Generator().manual_seed(1)
        >>> X = torch.randn(4, 3, generator=g, dtype=torch.float64)
        >>> dW = torch.randn(6, 3, generator=g, dtype=torch.float64)
        >>> U = torch.randn(2, 4, generator=g, dtype=torch.float64)
        >>> lhs, rhs = (net.jvp(X, dW) * U).sum(), (dW * net.vjp(X, U)).sum()
        >>> bool(torch.isclose(lhs, rhs, rtol=1e-12))
        True
        """
        self._check_X(X)
        D = self.act.dphi(X @ self.W.T)
        return ((D * (X @ dW.T)) @ self.V.T).T

    def vjp(self, X: torch.Tensor, U: torch.Tensor) -> torch.Tensor:
        """``mat(J(W)^T u)``, eq. (6.29), without forming ``J``.

        Parameters
        ----------
        X : torch.Tensor, shape (n, d)
            Inputs.
        U : torch.Tensor, shape (K, n)
            The class-major vector ``u`` as a matrix (row ``l`` = class ``l``).

        Returns
        -------
        torch.Tensor, shape (k, d)
            ``J^T u`` in the shape of ``W``.

        Raises
        ------
        ValueError
            If ``X`` is not (n, d) or ``U`` not (K, n).
        """
        self._check_X(X)
        if U.shape != (self.K, X.shape[0]):
            raise ValueError(f"U must be (K, n) = ({self.K}, {X.shape[0]}), got {tuple(U.shape)}")
        D = self.act.dphi(X @ self.W.T)
        return ((U.T @ self.V) * D).T @ X

    def gram(self, X: torch.Tensor, *, max_bytes: int | None = None) -> torch.Tensor:
        """``J(W) J(W)^T`` (nK x nK, class-major), Lemma 6.11's block formula.

        Block ``(a, b)`` is ``(D diag(v_a ⊙ v_b) D^T) ⊙ X X^T`` with ``D = phi'(X W^T)``; every
        block is symmetric (the result is exactly symmetric: blocks below the diagonal are
        transposed copies).  For a general ``V`` the blocks are those of one product ``Q Q^T``
        (``Q = [D diag(v_l)]_l``) times a Hadamard factor; only the ``K(K+1)/2`` blocks on and
        above the diagonal are computed.

        Parameters
        ----------
        X : torch.Tensor, shape (n, d)
            Inputs.
        max_bytes : int, optional
            Budget for the ``n x k``-shaped buffers (default :data:`CHUNK_BYTES`); above it the
            Gram, a sum over hidden units, is accumulated over chunks of units.

        Returns
        -------
        torch.Tensor, shape (nK, nK)
            The class-major Gram, exactly symmetric, in the network's dtype and device.

        Notes
        -----
        When every entry of ``V`` has the same magnitude ``c`` (the Rademacher output layer of
        the theorems, fixed during training), write ``F_S = sum_{r in S} d_r d_r^T`` over the
        columns ``d_r`` of ``D``, ``G = F_all``, ``P_a = {r: V[a,r] > 0}``, ``N_a`` its
        complement.  Then ``sum_r s_ar s_br d_r d_r^T = G - 2 F_{P_a} - 2 F_{P_b} + 4 F_{P_a ∩ P_b}``
        and, swapping the roles of the signs, the same with ``N`` in place of ``P``.  With the
        per-class terms precomputed, a pair costs one product over the smaller of
        ``P_a ∩ P_b`` and ``N_a ∩ N_b`` (about ``k/4`` columns): about a sixth of the flops of
        ``Q Q^T``.
        """
        self._check_X(X)
        cuts = self._chunks(X, self.K + 3, max_bytes)
        if len(cuts) > 1:
            G = self.units(*cuts[0]).gram(X, max_bytes=max_bytes)
            for lo, hi in cuts[1:]:
                G.add_(self.units(lo, hi).gram(X, max_bytes=max_bytes))
            return G
        n, K = X.shape[0], self.K
        D = self.act.dphi(X @ self.W.T)
        XX = X @ X.T
        G = empty_large((K * n, K * n), dtype=D.dtype, device=D.device)
        c = self.V.abs().amax()
        if K == 1 or not bool((self.V.abs() == c).all()):
            # Blocks (a, b) with b >= a: one product per block row of Q Q^T, written straight
            # into G, the Hadamard with 1_{KxK} ⊗ XX^T by broadcasting; (b, a) = (a, b).
            Q = (D[None, :, :] * self.V[:, None, :]).reshape(K * n, self.k)
            Gb = G.view(K, n, K, n)
            for a in range(K):
                torch.mm(Q[a * n : (a + 1) * n], Q[a * n :].T, out=G[a * n : (a + 1) * n, a * n :])
                Gb[a, :, a:, :].mul_(XX[:, None, :])
                Gb[a, :, a, :] = _symmetrized(Gb[a, :, a, :])
                for b in range(a):
                    Gb[a, :, b, :] = Gb[b, :, a, :].T
            return G
        Dt = D.T.contiguous()  # rows d_r: gathering neurons gathers rows
        pos = (self.V > 0).cpu().numpy()
        prod = torch.empty(n, n, dtype=D.dtype, device=D.device)

        def F(cols: np.ndarray, out: torch.Tensor | None = None) -> torch.Tensor:
            Ds = Dt.index_select(0, torch.as_tensor(np.flatnonzero(cols), device=D.device))
            return torch.mm(Ds.T, Ds, out=out)

        XXc = XX * (c * c)
        Gall = D @ D.T
        Gb = G.view(K, n, K, n)
        diag = _symmetrized(Gall * XXc)  # s_ar^2 = 1: every diagonal block is c^2 (D D^T) ⊙ XX
        # L[0][a] = c^2 XX ⊙ (G/2 - 2 F_{P_a}); L[1][a] the same over N_a (F_{N_a} = G - F_{P_a}),
        # which is 2 c^2 XX ⊙ F_{P_a} - 3/2 diag.  Built class by class in an n x n buffer
        # that stays in cache.
        L = empty_large((2, K, n, n), dtype=D.dtype, device=D.device)
        half_diag = 0.5 * diag
        for a in range(K):
            F(pos[a], out=prod).mul_(XXc)
            torch.add(half_diag, prod, alpha=-2, out=L[0, a])
            torch.add(prod, half_diag, alpha=-1.5, out=L[1, a]).mul_(2)
        XX4 = XXc.mul_(4)
        for a in range(K):
            Gb[a, :, a, :] = diag
            for b in range(a + 1, K):
                pp, nn = pos[a] & pos[b], ~pos[a] & ~pos[b]
                side = int(nn.sum() < pp.sum())
                F(nn if side else pp, out=prod)
                torch.addcmul(L[side, a], prod, XX4, out=prod)
                torch.add(prod, L[side, b], out=Gb[a, :, b, :])
                Gb[b, :, a, :] = Gb[a, :, b, :].T
        return G

    def gram_trace(self, X: torch.Tensor) -> float:
        """``trace(J J^T) = ||J||_F^2 = sum_i ||x_i||^2 sum_r phi'(w_r^T x_i)^2 sum_l V[l,r]^2``.

        Row ``(l, i)`` of ``J`` is ``vect(diag(v_l ⊙ phi'(W x_i)) 1 x_i^T)`` (6.28), whose squared
        norm factorises.  The sum of all eigenvalues without computing any.

        Parameters
        ----------
        X : torch.Tensor, shape (n, d)
            Inputs.

        Returns
        -------
        float
            ``||J(W)||_F^2``.

        Examples
        --------
        >>> net = init_random(k=5, d=3, K=2, nu=1.0, seed=0, device="cpu")
        >>> X = torch.eye(3, dtype=torch.float64)
        >>> abs(net.gram_trace(X) - float(net.gram(X).trace())) < 1e-12
        True
        """
        self._check_X(X)
        D = self.act.dphi(X @ self.W.T)
        return float(((D * D) @ (self.V * self.V).sum(0) * (X * X).sum(1)).sum())

    def jacobian_distance(
        self, other: ShallowNet, X: torch.Tensor, *, max_bytes: int | None = None
    ) -> float:
        """``||J(W) - J(W')||`` (spectral) for two networks sharing ``V``, without forming J.

        ``J(W) - J(W')`` has the structure of (6.28) with ``phi'(XW^T) - phi'(XW'^T)`` in place of
        ``D``, so its Gram is one product ``dQ dQ^T`` with a Hadamard factor (no cancellation).

        Parameters
        ----------
        other : ShallowNet
            A network with the same ``V`` and shapes (typically ``W_0`` against ``W_tau``).
        X : torch.Tensor, shape (n, d)
            Inputs.
        max_bytes : int, optional
            Budget for the ``n x k``-shaped buffers (default :data:`CHUNK_BYTES`); above it the
            Gram ``dQ dQ^T``, a sum over hidden units, is accumulated over chunks of units.

        Returns
        -------
        float
            The largest singular value of ``J(W) - J(W')``, from one ``nK x nK`` eigenproblem.

        Examples
        --------
        >>> net = init_random(k=5, d=3, K=1, nu=1.0, seed=0, device="cpu")
        >>> X = torch.eye(3, dtype=torch.float64)
        >>> other = net.with_W(net.W + 0.1)
        >>> dJ = torch.linalg.matrix_norm(net.jacobian(X) - other.jacobian(X), ord=2)
        >>> abs(net.jacobian_distance(other, X) - float(dJ)) < 1e-12
        True
        """
        self._check_X(X)
        if other.W.shape != self.W.shape:
            raise ValueError(
                f"other must have W of shape {tuple(self.W.shape)}, got {tuple(other.W.shape)}"
            )
        n = X.shape[0]
        M = torch.zeros(self.K * n, self.K * n, dtype=X.dtype, device=X.device)
        cuts = self._chunks(X, self.K + 3, max_bytes)
        for lo, hi in cuts:
            a, b = self.units(lo, hi), other.units(lo, hi)
            dD = a.act.dphi(X @ a.W.T) - b.act.dphi(X @ b.W.T)
            dQ = (dD[None] * a.V[:, None, :]).reshape(self.K * n, hi - lo)
            M.addmm_(dQ, dQ.T)
        M.view(self.K, n, self.K, n).mul_((X @ X.T)[None, :, None, :])
        return float(torch.linalg.eigvalsh(M)[-1].clamp_min(0).sqrt())

    def jacobian(self, X: torch.Tensor) -> torch.Tensor:
        """The explicit Jacobian (nK x kd), class-major rows, ``vect`` stacking rows of W (6.28).

        Memory ``n K k d``: for tests and small problems only.

        Parameters
        ----------
        X : torch.Tensor, shape (n, d)
            Inputs.

        Returns
        -------
        torch.Tensor, shape (nK, kd)
            Row ``l n + i`` is the gradient of output ``l`` at ``x_i``; column ``r d + j`` is
            ``W[r, j]``.
        """
        self._check_X(X)
        D = self.act.dphi(X @ self.W.T)  # n x k
        blocks = [(D * self.V[l])[:, :, None] * X[:, None, :] for l in range(self.K)]
        return torch.cat([b.reshape(X.shape[0], -1) for b in blocks])

    def residual(self, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        """The residual ``r = f(W) - y``.

        Parameters
        ----------
        X : torch.Tensor, shape (n, d)
            Inputs.
        Y : torch.Tensor, shape (n, K)
            Labels (one-hot for classification).

        Returns
        -------
        torch.Tensor, shape (n, K)
            ``f(x_i) - y_i`` per row; ``.T.reshape(-1)`` gives the class-major vector.
        """
        return self.forward(X) - Y

    def gradient(self, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        """``mat(grad L(W)) = mat(J^T r)`` for ``L = ½ ||f(W) - y||^2`` (1.2).

        Parameters
        ----------
        X : torch.Tensor, shape (n, d)
            Inputs.
        Y : torch.Tensor, shape (n, K)
            Labels.

        Returns
        -------
        torch.Tensor, shape (k, d)
            The gradient with respect to ``W``.
        """
        return self.vjp(X, self.residual(X, Y).T)


def _symmetrized(M: torch.Tensor) -> torch.Tensor:
    """``(M + M^T) / 2``: blocked products are symmetric only up to rounding; the Gram is
    returned exactly symmetric."""
    return (M + M.T).mul_(0.5)


def gd_step(
    net: ShallowNet,
    X: torch.Tensor,
    Y: torch.Tensor,
    eta: float,
    *,
    rows: int | None = None,
    max_bytes: int | None = None,
    out: torch.Tensor | None = None,
) -> tuple[ShallowNet, torch.Tensor]:
    """One full-batch GD step (1.5) with the closed-form gradient ``J^T r`` (6.29).

    The samples are processed in blocks of ``rows`` (default: 2^21 entries, 16 MiB, of ``n x k`` data per
    block), so that ``Z = X W^T``, ``phi(Z)``, ``phi'(Z)`` and ``M = (R V) ⊙ phi'(Z)`` stay in
    cache between the two large products (``X_b W^T`` and the accumulation ``M_b^T X_b`` into
    the k x d gradient).

    Parameters
    ----------
    net : ShallowNet
        The network at ``W_tau``.
    X : torch.Tensor, shape (n, d)
        Inputs.
    Y : torch.Tensor, shape (n, K)
        Labels.
    eta : float
        Step size (the theorems' largest is :func:`lipschitz_step`).
    rows : int, optional
        Samples per block (default: ``max(256, 2^21 // k)``); the result does not depend on
        it beyond round-off.
    max_bytes : int, optional
        Budget for the ``n x k``-shaped buffers (default :data:`CHUNK_BYTES`).  Above it the
        step runs over chunks of hidden units instead of blocks of samples: the residual by
        the chunked :meth:`ShallowNet.forward`, then, chunk by chunk, the chunk's gradient
        rows and its new weights; nothing of size ``n x k`` is alive.
    out : torch.Tensor, shape (k, d), optional
        Where to write ``W_{tau+1}`` (default: a new tensor).  May be ``net.W`` itself (an
        in-place step: a chunk's gradient needs only the residual and the chunk's old rows,
        which are read before they are overwritten); ``net`` then holds the new weights too.

    Returns
    -------
    ShallowNet
        The network at ``W_{tau+1} = W_tau - eta J^T r_tau``.
    torch.Tensor, shape (n, K)
        The residual ``r_tau = f(W_tau) - y``, *before* the step.

    Examples
    --------
    >>> net = init_random(k=16, d=3, K=2, nu=1.0, seed=0, device="cpu")
    >>> X = torch.eye(3, dtype=torch.float64)
    >>> Y = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
    >>> new, r0 = gd_step(net, X, Y, eta=lipschitz_step(1.0, 1.0, 1.0))
    >>> bool(torch.allclose(r0, net.residual(X, Y)))
    True
    >>> bool(new.residual(X, Y).norm() < r0.norm())  # one step lowers the loss
    True
    """
    act = net.act
    n, k = X.shape[0], net.k
    if out is not None and (out.shape != net.W.shape or out.dtype != net.W.dtype):
        raise ValueError(f"out must be a {tuple(net.W.shape)} tensor of dtype {net.W.dtype}")
    cuts = net._chunks(X, 2, max_bytes)
    if len(cuts) > 1 or out is not None:
        R = net.forward(X, max_bytes=max_bytes) - Y
        Wn = torch.empty_like(net.W) if out is None else out
        for lo, hi in cuts:
            sub = net.units(lo, hi)
            Z = X @ sub.W.T
            M = torch.matmul(R, sub.V).mul_(act.dphi_(Z))
            dst = Wn[lo:hi]
            if dst.data_ptr() != sub.W.data_ptr():
                dst.copy_(sub.W)
            dst.addmm_(M.T, X, alpha=-eta)
        return net.with_W(Wn), R
    step = rows or max(256, (1 << 21) // max(k, 1))
    grad = torch.zeros_like(net.W)
    R = torch.empty(n, net.K, dtype=X.dtype, device=X.device)
    for lo in range(0, n, step):
        Xb = X[lo : lo + step]
        Z = Xb @ net.W.T
        A = act.phi(Z)
        Rb = torch.addmm(-Y[lo : lo + step], A, net.V.T)
        R[lo : lo + step] = Rb
        # phi'(Z) overwrites Z and R V overwrites phi(Z): no further (rows x k) buffers.
        M = torch.matmul(Rb, net.V, out=A).mul_(act.dphi_(Z))
        grad.addmm_(M.T, Xb)
    return net.with_W(net.W - eta * grad), R


def nu_for_random_init(zeta: float, K: int, B: float = 1.0) -> float:
    """``nu = zeta / (50 B sqrt(log 2K))``, eq. (6.67) (from :mod:`bounds`).

    The output scale of the random initialisation of Theorems 6.23-6.25 (see
    :func:`init_random`).

    Parameters
    ----------
    zeta : float
        The theorems' ``zeta > 0`` (``||f(W_0)|| <= zeta sqrt(n)`` with high probability).
    K : int
        Number of classes (>= 1).
    B : float
        Bound on ``|phi'|`` and ``|phi''|`` (1 for softplus).

    Returns
    -------
    float
        ``nu``.

    Raises
    ------
    ValueError
        If ``zeta`` or ``B`` is not positive or ``K`` not a positive integer.

    Examples
    --------
    >>> round(nu_for_random_init(zeta=0.5, K=2), 8)
    0.00849322
    """
    return float(nu_random_init(zeta=zeta, K=K, B=B))


def init_random(
    k: int,
    d: int,
    K: int,
    nu: float,
    seed: int,
    *,
    activation: str = "softplus",
    device: str | torch.device = "auto",
    dtype: str | torch.dtype = "float64",
) -> ShallowNet:
    """Initialisation of Theorems 6.23-6.25: ``W0`` i.i.d. N(0, 1); ``V`` Rademacher x ``nu/sqrt(kK)``.

    Drawn with numpy's ``default_rng(seed)`` in float64, so every device starts from the same
    numbers.

    Parameters
    ----------
    k, d, K : int
        Width, input dimension and number of classes (positive).
    nu : float
        Output scale (> 0), e.g. :func:`nu_for_random_init`.
    seed : int
        Seed of ``numpy.random.default_rng``.
    activation : str
        A smooth activation of :data:`bounds.activations.ACTIVATIONS`.
    device : str or torch.device
        ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda[:i]"``.
    dtype : str or torch.dtype
        ``"float64"`` (default) or ``"float32"``.

    Returns
    -------
    ShallowNet
        ``W0`` (k x d) and ``V`` (K x k) on ``device`` in ``dtype``.

    Raises
    ------
    ValueError
        For a non-positive size or ``nu``, an unknown device, dtype or activation.

    Examples
    --------
    >>> net = init_random(k=4, d=3, K=2, nu=0.8, seed=0, device="cpu")
    >>> sorted(set(net.V.abs().flatten().tolist())) == [0.8 / (4 * 2) ** 0.5]
    True
    >>> net.W.dtype
    torch.float64
    """
    k, d, K = validate.count("k", k), validate.count("d", d), validate.count("K", K)
    nu = validate.positive_number("nu", nu)
    rng = np.random.default_rng(seed)
    W0 = rng.standard_normal((k, d))
    V = rng.choice([-1.0, 1.0], size=(K, k)) * nu / np.sqrt(k * K)
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    return ShallowNet(
        torch.as_tensor(W0, device=dev, dtype=dt),
        torch.as_tensor(V, device=dev, dtype=dt),
        activation,
    )


def lipschitz_step(nu: float, B: float, X_norm: float) -> float:
    """Largest step ``1/(nu^2 B^2 ||X||^2)`` of Lemmas 6.19-6.25 (``beta = nu B ||X||``, Lemma 6.10).

    Parameters
    ----------
    nu : float
        Output scale of the initialisation.
    B : float
        Bound on ``|phi'|`` and ``|phi''|``.
    X_norm : float
        Spectral norm ``||X||`` of the (n, d) input matrix.

    Returns
    -------
    float
        The step size ``eta``.

    Examples
    --------
    >>> lipschitz_step(nu=0.5, B=1.0, X_norm=2.0)
    1.0
    """
    return float(evaluate_expression(STEP_SHALLOW, {"nu": nu, "B": B, "X_norm": X_norm}))
