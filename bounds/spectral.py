"""Information / nuisance split of a reference Jacobian (Definitions 1.1, 5.2 and 6.1).

The split is held as eigenpairs ``(lambda_s^2, u_s)`` of the Gram matrix ``J J^T`` in
**class-major** ordering (docs/theory.md#class-major), together with the cutoff ``alpha``.  Everything the
theorems read off the split is a method: ``||Pi_I v||``, ``||Pi_N v||``, ``||J_I^dagger v||``,
the early-stopping value ``B_{alpha,Gamma}(v)`` and distance ``D_{alpha,Gamma}(v)``
(Definition 6.1, eq. 6.1), and the linearised residual of Lemma 6.5 (eq. 6.5).

Two structural options keep large problems tractable:

* ``kron = K`` stores the eigenpairs of a single-output kernel ``Sigma~`` (n x n) and represents
  ``Sigma = I_K (x) Sigma~`` (Definition 2.1) without forming the ``nK x nK`` matrix.
* A *partial* basis (e.g. the top-r triplets of a matrix-free solver) is allowed.  The directions
  outside the basis are then known only through ``tail_bound``, an upper bound on their squared
  singular values; norms on the nuisance space stay exact (they are complements), and
  ``B_{alpha,Gamma}`` becomes a rigorous upper bound (``exact`` is False).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import validate as v
from .report import BOUNDARY_RTOL

Array = NDArray[np.float64]

#: Relative size below which negative eigenvalues of a Gram matrix are taken as round-off and
#: clipped to zero; anything more negative means the input is not PSD.
PSD_RTOL = 1e-10
#: Largest row count for which :meth:`InfoNuisance.from_jacobian` keeps a complete left basis.
FULL_BASIS_MAX = 20_000
#: A singular value at least ``cutoff * (1 - RANK_RTOL)`` counts as information.  A cutoff taken
#: from a singular value ``s`` is compared with ``sqrt(s^2)`` (the split stores squares), which
#: differs from ``s`` by an ulp or two (2e-16 relative): ``InfoNuisance.from_jacobian(J, s).rank``
#: must count ``s`` (docs/theory.md#r3-cutoff-counts-as-information).  1e-12 is 5000x above that round-off.
RANK_RTOL = 1e-12


@dataclass(frozen=True, eq=False)
class InfoNuisance:
    """Split of ``R^{N}`` (``N = kron * dim``) into information and nuisance spaces.

    Parameters
    ----------
    eigenvalues : ndarray, shape (m,)
        Eigenvalues ``lambda_s^2 >= 0`` of ``J J^T`` (squared singular values of ``J``), sorted in
        decreasing order.  With ``kron = K`` they are those of the single-output block and each
        is repeated ``K`` times in the full spectrum.
    eigenvectors : ndarray, shape (dim, m)
        Orthonormal eigenvectors ``u_s`` (columns), matching ``eigenvalues``.
    cutoff : float
        The cutoff ``alpha`` on singular values (Definition 1.1); ``0 < alpha <= lambda_1``.
        A singular value equal to the cutoff counts as information (docs/theory.md#r3-cutoff-counts-as-information), within
        :data:`RANK_RTOL`; :attr:`rank_at_boundary` says when one is that close.
    kron : int
        Multiplicity ``K`` of the identity factor ``I_K (x) (.)``; vectors are class-major, i.e.
        ``v = [v^(1); ...; v^(K)]`` with ``v^(l)`` of length ``dim``.
    tail_bound : float
        Upper bound on the squared singular values of directions not spanned by
        ``eigenvectors`` (0 when the basis is complete or the rest of the spectrum is zero).

    Examples
    --------
    >>> J = np.diag([3.0, 2.0, 0.5])
    >>> split = InfoNuisance.from_jacobian(J, cutoff=1.0)
    >>> split.rank
    2
    >>> float(split.nuisance_norm([0.0, 0.0, 2.0]))
    2.0
    >>> round(float(split.pinv_norm([3.0, 2.0, 7.0])), 12)  # ||J_I^+ v|| = ||(1, 1)||
    1.414213562373
    """

    eigenvalues: Array
    eigenvectors: Array
    cutoff: float
    kron: int = 1
    tail_bound: float = 0.0
    _rank: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        lam = v.matrix("eigenvalues", self.eigenvalues, ndim=1)
        U = v.matrix("eigenvectors", self.eigenvectors)
        if U.shape[1] != lam.shape[0]:
            raise ValueError(
                f"eigenvectors must have one column per eigenvalue: shape {U.shape} vs "
                f"{lam.shape[0]} eigenvalues"
            )
        if U.shape[1] > U.shape[0]:
            raise ValueError(f"eigenvectors has more columns than rows: shape {U.shape}")
        # Relative to lambda_1 (no absolute floor: the spectrum's scale is free).
        if np.any(np.diff(lam) > 1e-12 * abs(float(lam[0]))):
            raise ValueError("eigenvalues must be sorted in decreasing order")
        if np.any(lam < 0):
            raise ValueError("eigenvalues (squared singular values) must be >= 0")
        kron = int(v.scalar("kron", self.kron, v.positive_int))
        tail = v.scalar("tail_bound", self.tail_bound, v.nonnegative)
        lam1 = float(lam[0])
        cutoff = v.scalar(
            "cutoff",
            self.cutoff,
            lambda n, x: v.in_range(n, x, 0.0, np.sqrt(lam1) * (1 + 1e-12), lo_open=True),
        )
        if tail >= cutoff**2 and U.shape[1] < U.shape[0]:
            raise ValueError(
                f"cutoff={cutoff:g} must exceed sqrt(tail_bound)={np.sqrt(tail):g}: the "
                "directions outside the given eigenvectors could otherwise be information"
            )
        object.__setattr__(self, "eigenvalues", lam)
        object.__setattr__(self, "eigenvectors", U)
        object.__setattr__(self, "cutoff", cutoff)
        object.__setattr__(self, "tail_bound", tail)
        object.__setattr__(self, "kron", kron)
        # Compare singular values (not their squares), with RANK_RTOL for the ulp of sqrt(s^2),
        # so that a cutoff equal to a singular value counts that direction as information (docs/theory.md#r3-cutoff-counts-as-information).
        object.__setattr__(
            self, "_rank", int(np.count_nonzero(np.sqrt(lam) >= cutoff * (1 - RANK_RTOL)))
        )

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_eigh(
        cls,
        eigenvalues: ArrayLike,
        eigenvectors: ArrayLike,
        cutoff: float,
        *,
        kron: int = 1,
        tail_bound: float | None = None,
    ) -> InfoNuisance:
        """Build from eigenpairs of ``J J^T`` in any order (e.g. from ``numpy.linalg.eigh``).

        Small negative eigenvalues (``> -PSD_RTOL * lambda_max``) are round-off and set to 0.
        For a partial set of eigenpairs, ``tail_bound`` defaults to the smallest eigenvalue given
        (valid when the pairs are the *top* ones).
        """
        lam = v.matrix("eigenvalues", eigenvalues, ndim=1)
        U = v.matrix("eigenvectors", eigenvectors)
        if U.shape[1] != lam.shape[0]:
            raise ValueError(
                f"eigenvectors must have one column per eigenvalue: shape {U.shape} vs "
                f"{lam.shape[0]} eigenvalues"
            )
        scale = max(float(np.max(np.abs(lam))), np.finfo(float).tiny)
        if np.any(lam < -PSD_RTOL * scale):
            raise ValueError(
                f"eigenvalues must be >= 0 (a PSD Gram matrix); smallest is {lam.min():.3g}"
            )
        order = np.argsort(-lam, kind="stable")
        lam = np.clip(lam[order], 0.0, None)
        U = U[:, order]
        if tail_bound is None:
            tail_bound = 0.0 if U.shape[1] == U.shape[0] else float(lam[-1])
        return cls(lam, U, cutoff, kron=kron, tail_bound=tail_bound)

    @classmethod
    def from_gram(cls, G: ArrayLike, cutoff: float, *, kron: int = 1) -> InfoNuisance:
        """Build from a symmetric PSD Gram matrix ``G = J J^T`` (class-major), via ``eigh``."""
        A = v.matrix("G", G)
        if A.shape[0] != A.shape[1]:
            raise ValueError(f"G must be square, got shape {A.shape}")
        # Relative to the largest entry (no absolute floor: the Gram's scale is free).
        if not np.allclose(A, A.T, rtol=1e-10, atol=1e-12 * np.abs(A).max()):
            raise ValueError("G must be symmetric (a Gram matrix J J^T)")
        lam, U = np.linalg.eigh((A + A.T) / 2)
        return cls.from_eigh(lam, U, cutoff, kron=kron)

    @classmethod
    def from_jacobian(cls, J: ArrayLike, cutoff: float) -> InfoNuisance:
        """Build from a Jacobian ``J`` of shape (N, p) via its SVD.

        If ``p < N`` the ``N - p`` missing left singular directions have singular value 0, so
        ``tail_bound = 0`` and all quantities stay exact.
        """
        A = v.matrix("J", J)
        # A complete left basis keeps nuisance norms free of cancellation (they are then sums
        # of squares, not ||v||^2 - ||Pi_I v||^2); its size is N^2, so only up to FULL_BASIS_MAX.
        full = A.shape[0] > A.shape[1] and A.shape[0] <= FULL_BASIS_MAX
        U, s, _ = np.linalg.svd(A, full_matrices=full)
        s2 = np.concatenate([s**2, np.zeros(U.shape[1] - s.shape[0])])
        return cls.from_eigh(s2, U, cutoff, tail_bound=0.0)

    def with_cutoff(self, cutoff: float) -> InfoNuisance:
        """The same spectrum split at another cutoff."""
        return replace(self, cutoff=cutoff)

    # ------------------------------------------------------------------ structure
    @property
    def dim(self) -> int:
        """Length ``N`` of the vectors the split acts on (``kron * rows of eigenvectors``)."""
        return self.kron * self.eigenvectors.shape[0]

    @property
    def rank(self) -> int:
        """``r(alpha) = #{s : lambda_s >= alpha}``, the dimension of the information space."""
        return self.kron * self._rank

    @property
    def rank_at_boundary(self) -> bool:
        """Whether some ``lambda_s^2`` lies within ``BOUNDARY_RTOL * lambda_1^2`` of ``cutoff^2``.

        Eigenvalues of ``J J^T`` are known to an absolute ``~eps * lambda_1^2`` (and move by
        ``~1e-13 lambda_1^2`` under a relative 1e-13 change of ``J``), so within this band the
        rank may change with the last digits of the input; outside it cannot.
        """
        lam1 = float(self.eigenvalues[0])
        gap = np.abs(self.eigenvalues - self.cutoff**2)
        near = bool(np.any(gap <= BOUNDARY_RTOL * lam1))
        # Unknown directions below tail_bound < cutoff^2: at the boundary if tail is that close.
        partial = self.eigenvectors.shape[1] < self.eigenvectors.shape[0]
        return near or (partial and self.cutoff**2 - self.tail_bound <= BOUNDARY_RTOL * lam1)

    @property
    def singular_values(self) -> Array:
        """Known singular values ``lambda_s`` of ``J`` (without Kronecker repetition)."""
        return np.sqrt(self.eigenvalues)

    @property
    def lambda_1(self) -> float:
        """Largest singular value ``lambda_1 = ||J||``."""
        return float(np.sqrt(self.eigenvalues[0]))

    @property
    def exact(self) -> bool:
        """True when nuisance-space spectra are fully known (complete basis or zero tail)."""
        return self.tail_bound == 0.0 or self.eigenvectors.shape[1] == self.eigenvectors.shape[0]

    # ------------------------------------------------------------------ projections
    def _vector(self, vec: ArrayLike) -> Array:
        arr = v.as_float("v", vec)
        if arr.shape[-1] != self.dim:
            raise ValueError(
                f"v must have length {self.dim} (class-major, K*n) in its last axis, got shape "
                f"{arr.shape}"
            )
        return arr

    def coefficients(self, vec: ArrayLike) -> Array:
        """Coordinates ``a_s = <u_s, v>`` in the known eigenbasis.

        Returns shape ``(..., kron, m)``: entry ``[..., l, s]`` is the coefficient on
        ``e_l (x) u_s``.
        """
        arr = self._vector(vec)
        blocks = arr.reshape(*arr.shape[:-1], self.kron, self.eigenvectors.shape[0])
        return blocks @ self.eigenvectors

    def _split_sq(self, vec: ArrayLike) -> tuple[Array, Array, Array]:
        a = self.coefficients(vec)
        r = self._rank
        a2 = a**2
        info_sq = a2[..., :r].sum(axis=(-2, -1))
        known_nuis_sq = a2[..., r:].sum(axis=(-2, -1))
        if self.eigenvectors.shape[1] == self.eigenvectors.shape[0]:
            tail_sq = np.zeros_like(info_sq)  # complete basis: nothing outside it
        else:
            # Complement of a partial basis: absolute error ~ sqrt(eps) ||v|| when tiny.
            total_sq = (self._vector(vec) ** 2).sum(axis=-1)
            tail_sq = np.clip(total_sq - info_sq - known_nuis_sq, 0.0, None)
        return info_sq, known_nuis_sq, tail_sq

    def info_norm(self, vec: ArrayLike) -> Array:
        """``||Pi_I(v)||_2``, the norm of the projection onto the information space."""
        return np.sqrt(self._split_sq(vec)[0])

    def nuisance_norm(self, vec: ArrayLike) -> Array:
        """``||Pi_N(v)||_2``: a sum of squares for a complete basis, else ``sqrt(||v||^2 - ||Pi_I v||^2)``."""
        _, known, tail = self._split_sq(vec)
        return np.sqrt(known + tail)

    def project_info(self, vec: ArrayLike) -> Array:
        """``Pi_I(v)`` as a vector of the same shape as ``v``."""
        arr = self._vector(vec)
        a = self.coefficients(arr)[..., : self._rank]
        proj = a @ self.eigenvectors[:, : self._rank].T
        return proj.reshape(arr.shape)

    def project_nuisance(self, vec: ArrayLike) -> Array:
        """``Pi_N(v) = v - Pi_I(v)``."""
        arr = self._vector(vec)
        return arr - self.project_info(arr)

    def pinv_norm(self, vec: ArrayLike) -> Array:
        """``||J_I^dagger v||_2 = (sum_{s<=r} <u_s, v>^2 / lambda_s^2)^{1/2}`` (Definition 5.2)."""
        a = self.coefficients(vec)[..., : self._rank]
        return np.sqrt((a**2 / self.eigenvalues[: self._rank]).sum(axis=(-2, -1)))

    def early_stopping_value(self, vec: ArrayLike, Gamma: float) -> Array:
        """Early-stopping value ``B_{alpha,Gamma}(v)``, Definition 6.1, eq. (6.1).

        ``B^2 = sum_{s<=r} (alpha^2/lambda_s^2) a_s^2 + Gamma^2 sum_{s>r} (lambda_s^2/alpha^2) a_s^2``.
        For a partial basis the unknown directions are bounded by ``tail_bound``, so the value
        returned is an upper bound (see :attr:`exact`).
        """
        G = v.positive("Gamma", Gamma)
        a2 = self.coefficients(vec) ** 2
        r = self._rank
        alpha2 = self.cutoff**2
        info = (a2[..., :r] * (alpha2 / self.eigenvalues[:r])).sum(axis=(-2, -1))
        nuis = (a2[..., r:] * (self.eigenvalues[r:] / alpha2)).sum(axis=(-2, -1))
        tail = self._split_sq(vec)[2] * (self.tail_bound / alpha2)
        return np.sqrt(info + G**2 * (nuis + tail))

    def early_stopping_distance(self, vec: ArrayLike, Gamma: float) -> Array:
        """Early-stopping distance ``D_{alpha,Gamma}(v) = B_{alpha,Gamma}(v) / alpha`` (Def. 6.1)."""
        return self.early_stopping_value(vec, Gamma) / self.cutoff

    def linearized_residual(self, r0: ArrayLike, eta: float, tau: int) -> Array:
        """``r~_tau = (I - eta J J^T)^tau r_0``, Lemma 6.5, eq. (6.5).

        Requires a complete basis (or a zero tail) so that every direction's factor is known.
        """
        if not self.exact:
            raise ValueError("linearized_residual needs the full spectrum (exact split)")
        arr = self._vector(r0)
        e = float(v.positive("eta", eta))
        if not (np.ndim(tau) == 0 and float(tau) == int(tau) and int(tau) >= 0):
            raise ValueError(f"tau must be a non-negative integer, got {tau!r}")
        t = int(tau)
        a = self.coefficients(arr)
        factor = (1.0 - e * self.eigenvalues) ** t
        inside = (a * factor) @ self.eigenvectors.T
        # Directions outside the basis have lambda = 0 (exact split), so they are untouched.
        outside = arr.reshape(inside.shape) - a @ self.eigenvectors.T
        return (inside + outside).reshape(arr.shape)

    def linearized_residual_norms(
        self, r0: ArrayLike, eta: float, taus: ArrayLike
    ) -> tuple[Array, Array, Array]:
        """Norms of ``r~_tau`` and of its information / nuisance parts for every ``tau``.

        Returns ``(total, info, nuisance)``, each of shape ``(len(taus),)``; cheaper than
        forming the vectors, using ``||r~_tau||^2 = sum_s (1 - eta lambda_s^2)^{2 tau} a_s^2``.
        """
        if not self.exact:
            raise ValueError("linearized_residual_norms needs the full spectrum (exact split)")
        e = float(v.positive("eta", eta))
        ts = v.nonnegative("taus", taus).reshape(-1)
        a2 = (self.coefficients(r0) ** 2).sum(axis=-2)  # over the Kronecker factor
        _, _, tail_sq = self._split_sq(r0)
        fac = (1.0 - e * self.eigenvalues)[None, :] ** (2 * ts[:, None])
        r = self._rank
        info = (fac[:, :r] * a2[:r]).sum(axis=1)
        nuis = (fac[:, r:] * a2[r:]).sum(axis=1) + tail_sq
        return np.sqrt(info + nuis), np.sqrt(info), np.sqrt(nuis)


def corollary_6_6_bound(
    info_norm: ArrayLike,
    nuisance_norm: ArrayLike,
    eta: ArrayLike,
    cutoff: ArrayLike,
    tau: ArrayLike,
) -> Array:
    """Corollary 6.6, eq. (6.9): ``||r~_tau|| <= (1 - eta alpha^2)^tau ||Pi_I r_0|| + ||Pi_N r_0||``.

    Valid for ``eta <= 1 / lambda_1^2``.
    """
    return (1.0 - np.asarray(eta) * np.asarray(cutoff) ** 2) ** np.asarray(tau) * np.asarray(
        info_norm
    ) + np.asarray(nuisance_norm)


def psd_sqrt(A: ArrayLike) -> Array:
    """Square root ``A^{1/2} = sum sqrt(lambda_i) u_i u_i^T`` of a symmetric PSD matrix (via ``eigh``).

    Round-off negative eigenvalues (``> -PSD_RTOL * lambda_max``) are set to zero.
    """
    M = v.matrix("A", A)
    lam, U = np.linalg.eigh((M + M.T) / 2)
    scale = max(float(np.abs(lam).max()), np.finfo(float).tiny)
    if lam.min() < -PSD_RTOL * scale:
        raise ValueError(f"A must be PSD; smallest eigenvalue {lam.min():.3g}")
    return (U * np.sqrt(np.clip(lam, 0.0, None))) @ U.T
