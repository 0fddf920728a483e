"""Full-batch gradient descent (1.5) on the squared loss (1.2), with a recorder.

Every ``record_every`` steps the recorder stores the training loss ``½||r_tau||^2``, ``||r_tau||``,
test loss and classification errors (2.1), ``||W_tau - W_0||_F`` and ``||W_tau - W_0||_{2,inf}``,
and optionally the residual vectors themselves (class-major), so that their information /
nuisance energies can be computed afterwards on any reference split (``Sigma(X)^{1/2}``,
``J(W_0)``, ``J(W_tau)``) without training twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from bounds.report import Report
from bounds.spectral import InfoNuisance

from .backend import to_numpy
from .model import ShallowNet, gd_step


class TrainingDiverged(RuntimeError):
    """Raised when the loss becomes non-finite or rises above its initial value."""


@dataclass(frozen=True, eq=False)
class History:
    """Recorded series (numpy, float64), one entry per recorded step.

    Built by :func:`train`; ``m`` below is the number of recorded steps.

    Attributes
    ----------
    steps : ndarray of int64, shape (m,)
        The recorded iterations ``tau`` (0, ``record_every``, ..., and the last).
    train_loss, residual_norm : ndarray, shape (m,)
        ``½||r_tau||^2`` and ``||r_tau||`` on the training set.
    train_error : ndarray, shape (m,)
        Training classification error (eq. 2.1, empirical).
    test_loss, test_error : ndarray, shape (m,) or None
        The same on the test set, when one was given.
    W_frobenius, W_rows : ndarray, shape (m,)
        ``||W_tau - W_0||_F`` and ``||W_tau - W_0||_{2,inf}`` (largest row norm).
    W_final : ndarray, shape (k, d)
        The weights after the last step.
    residuals, test_residuals : ndarray, shape (m, nK) or None
        Class-major residual vectors ``r_tau`` when ``store_residuals=True``.
    """

    steps: np.ndarray
    train_loss: np.ndarray
    residual_norm: np.ndarray
    train_error: np.ndarray
    test_loss: np.ndarray | None
    test_error: np.ndarray | None
    W_frobenius: np.ndarray
    W_rows: np.ndarray
    W_final: np.ndarray
    residuals: np.ndarray | None = None
    test_residuals: np.ndarray | None = None

    def energies(self, split: InfoNuisance, which: str = "train") -> tuple[np.ndarray, np.ndarray]:
        """``(||Pi_I r_tau||, ||Pi_N r_tau||)`` for every recorded ``tau`` on ``split``.

        Parameters
        ----------
        split : bounds.InfoNuisance
            A split of ``R^{nK}`` (e.g. :func:`simulate.eig.jacobian_split` of ``J(W_0)``).
        which : {"train", "test"}
            Which stored residuals.

        Returns
        -------
        ndarray, shape (m,)
            Information energies ``||Pi_I r_tau||``.
        ndarray, shape (m,)
            Nuisance energies ``||Pi_N r_tau||``.

        Raises
        ------
        ValueError
            If those residuals were not stored.
        """
        R = self.residuals if which == "train" else self.test_residuals
        if R is None:
            raise ValueError(f"{which} residuals were not stored; train with store_residuals=True")
        return split.info_norm(R), split.nuisance_norm(R)

    def series(self) -> dict[str, list[float]]:
        """Scalar curves as lists (for JSON/CSV).

        Returns
        -------
        dict of str to list of float
            ``step``, ``train_loss``, ``residual_norm``, ``train_error``, ``W_frobenius``,
            ``W_rows``, and ``test_loss``, ``test_error`` when recorded.
        """
        out = {
            "step": self.steps.tolist(),
            "train_loss": self.train_loss.tolist(),
            "residual_norm": self.residual_norm.tolist(),
            "train_error": self.train_error.tolist(),
            "W_frobenius": self.W_frobenius.tolist(),
            "W_rows": self.W_rows.tolist(),
        }
        if self.test_loss is not None and self.test_error is not None:
            out["test_loss"] = self.test_loss.tolist()
            out["test_error"] = self.test_error.tolist()
        return out


def classification_error(F: torch.Tensor, Y: torch.Tensor) -> float:
    """Fraction of rows with ``argmax f != argmax y`` (eq. 2.1, empirical).

    Parameters
    ----------
    F : torch.Tensor, shape (n, K)
        Network outputs.
    Y : torch.Tensor, shape (n, K)
        One-hot labels.

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> F = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    >>> Y = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> round(classification_error(F, Y), 6)
    0.333333
    """
    return float((F.argmax(dim=1) != Y.argmax(dim=1)).double().mean())


def train(
    net: ShallowNet,
    X: torch.Tensor,
    Y: torch.Tensor,
    *,
    eta: float,
    steps: int,
    record_every: int = 1,
    X_test: torch.Tensor | None = None,
    Y_test: torch.Tensor | None = None,
    store_residuals: bool = False,
    step_bound: float | None = None,
    progress: bool = True,
    desc: str = "GD",
) -> tuple[ShallowNet, History]:
    """Run ``steps`` iterations of ``W <- W - eta J^T r`` from ``net``.

    Parameters
    ----------
    net : ShallowNet
        The network at ``W_0``.
    X : torch.Tensor, shape (n, d)
        Training inputs.
    Y : torch.Tensor, shape (n, K)
        Training labels.
    eta : float
        Step size (> 0).
    steps : int
        Number of gradient steps (>= 0).
    record_every : int
        Record at steps 0, record_every, 2 record_every, ... and at ``steps``.
    X_test : torch.Tensor, shape (n_test, d), optional
        Test inputs (recorded together with ``Y_test``).
    Y_test : torch.Tensor, shape (n_test, K), optional
        Test labels.
    store_residuals : bool
        Keep the class-major residual vectors (memory ``records x nK``).
    step_bound : float, optional
        The theory's stable step (e.g. ``1/(nu^2 B^2 ||X||^2)``), only quoted in the
        divergence message.
    progress : bool
        Show a tqdm progress bar.
    desc : str
        The bar's label.

    Returns
    -------
    ShallowNet
        The network after ``steps`` steps.
    History
        The recorded series.

    Raises
    ------
    ValueError
        For a non-positive ``eta``, a negative ``steps``, ``record_every < 1`` or labels of the
        wrong shape.
    TrainingDiverged
        If the loss becomes non-finite or exceeds its initial value (relative slack 1e-9).

    Examples
    --------
    >>> from simulate.model import init_random, lipschitz_step
    >>> net = init_random(k=16, d=3, K=2, nu=1.0, seed=0, device="cpu")
    >>> X = torch.eye(3, dtype=torch.float64)
    >>> Y = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
    >>> eta = lipschitz_step(1.0, 1.0, 1.0)
    >>> _, hist = train(net, X, Y, eta=eta, steps=20, record_every=10, progress=False)
    >>> hist.steps.tolist()
    [0, 10, 20]
    >>> bool(hist.train_loss[-1] < hist.train_loss[0])
    True
    """
    if not (np.isfinite(eta) and eta > 0):
        raise ValueError(f"eta must be positive and finite, got {eta!r}")
    if not (isinstance(steps, int) and steps >= 0):
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    if not (isinstance(record_every, int) and record_every >= 1):
        raise ValueError(f"record_every must be a positive integer, got {record_every!r}")
    if Y.shape != (X.shape[0], net.K):
        raise ValueError(f"Y must be (n, K) = ({X.shape[0]}, {net.K}), got {tuple(Y.shape)}")
    has_test = X_test is not None and Y_test is not None
    W0 = net.W.clone()
    rec: dict[str, list[float]] = {
        k: [] for k in ("step", "loss", "rnorm", "err", "tloss", "terr", "wf", "wr")
    }
    res: list[np.ndarray] = []
    tres: list[np.ndarray] = []
    loss0: float | None = None

    def record(t: int, cur: ShallowNet, R: torch.Tensor) -> None:
        rn = float(torch.linalg.vector_norm(R))
        rec["step"].append(t)
        rec["loss"].append(0.5 * rn**2)
        rec["rnorm"].append(rn)
        rec["err"].append(classification_error(R + Y, Y))
        dW = cur.W - W0
        rec["wf"].append(float(torch.linalg.matrix_norm(dW)))
        rec["wr"].append(float(torch.linalg.vector_norm(dW, dim=1).max()))
        if store_residuals:
            res.append(to_numpy(R.T.reshape(-1)))
        if has_test:
            assert X_test is not None and Y_test is not None
            Ft = cur.forward(X_test)
            Rt = Ft - Y_test
            rec["tloss"].append(0.5 * float(torch.linalg.vector_norm(Rt)) ** 2)
            rec["terr"].append(classification_error(Ft, Y_test))
            if store_residuals:
                tres.append(to_numpy(Rt.T.reshape(-1)))

    cur = net
    bar = tqdm(range(steps + 1), desc=desc, disable=not progress, leave=False)
    for t in bar:
        if t == steps:
            R = cur.residual(X, Y)
            new = cur
        else:
            new, R = gd_step(cur, X, Y, eta)
        loss = 0.5 * float(torch.linalg.vector_norm(R)) ** 2
        if loss0 is None:
            loss0 = loss
        if not np.isfinite(loss) or loss > loss0 * (1 + 1e-9) + 1e-300:
            hint = f" (theory's stable range: eta <= {step_bound:.4g})" if step_bound else ""
            raise TrainingDiverged(
                f"training diverged at step {t}: loss {loss:.4g} > initial loss {loss0:.4g} "
                f"with eta = {eta:.4g}{hint}; lower the step size"
            )
        if t % record_every == 0 or t == steps:
            record(t, cur, R)
        cur = new
    as_arr = lambda key: np.asarray(rec[key], dtype=np.float64)  # noqa: E731
    hist = History(
        steps=np.asarray(rec["step"], dtype=np.int64),
        train_loss=as_arr("loss"),
        residual_norm=as_arr("rnorm"),
        train_error=as_arr("err"),
        test_loss=as_arr("tloss") if has_test else None,
        test_error=as_arr("terr") if has_test else None,
        W_frobenius=as_arr("wf"),
        W_rows=as_arr("wr"),
        W_final=to_numpy(cur.W),
        residuals=np.array(res) if store_residuals else None,
        test_residuals=np.array(tres) if store_residuals and has_test else None,
    )
    return cur, hist


def train_as_theorem(
    report: Report, net: ShallowNet, X: torch.Tensor, Y: torch.Tensor, **kwargs: Any
) -> tuple[ShallowNet, History]:
    """Train with the step size and the (integer) iteration count of a theorem's report.

    ``report`` comes from :mod:`bounds` (e.g. ``theorem_6_24`` or ``from_data``): ``eta =
    report.step_size`` (the largest the theorem allows unless set there) and ``steps =
    report.iterations``.

    Parameters
    ----------
    report : bounds.Report
        A result that fixes a step size and an iteration count.
    net : ShallowNet
        The network at ``W_0``.
    X : torch.Tensor, shape (n, d)
        Training inputs.
    Y : torch.Tensor, shape (n, K)
        Training labels.
    **kwargs
        Passed to :func:`train` (not ``eta``, ``steps`` or ``step_bound``).

    Returns
    -------
    ShallowNet
        The trained network.
    History
        The recorded series.

    Raises
    ------
    ValueError
        If the theorem fixes no step size or iteration count.
    TrainingDiverged
        As :func:`train`.
    """
    if report.step_size is None or report.iterations is None:
        raise ValueError(f"Theorem {report.theorem} fixes no step size / iteration count")
    eta = float(report.step_size)
    return train(net, X, Y, eta=eta, steps=int(report.iterations), step_bound=eta, **kwargs)
