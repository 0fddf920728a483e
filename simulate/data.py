"""Data models: the Gaussian mixture of Definition 2.4, label corruption, the linear model of
Section 5.1, and real data shipped in a package (scikit-learn's 8x8 digits; 10,000 MNIST digits
shipped with this package, ``simulate/datasets/mnist10k.npz``).

Every classification dataset is a :class:`Dataset` with one-hot labels, separate train and test
sets, and (unless asked otherwise) unit-norm rows, as the theorems assume (docs/theory.md#i14-mixture-unit-norm).  All
randomness comes from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bounds import validate


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train/test split with one-hot labels (float64 numpy arrays).

    Attributes
    ----------
    X_train, X_test : ndarray, shape (n, d), (n_test, d)
        Inputs, one per row (unit-norm unless the loader was asked otherwise).
    y_train, y_test : ndarray, shape (n, K), (n_test, K)
        One-hot labels.
    meta : dict
        Model parameters (centres ``M``, cluster ids, corruption mask, ...).

    Examples
    --------
    >>> data = gaussian_mixture(20, 5, K=2, C=1, d=4, sigma=0.1, seed=0)
    >>> data.n, data.K, data.d, data.X_test.shape
    (20, 2, 4, (5, 4))
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of training samples."""
        return int(self.X_train.shape[0])

    @property
    def K(self) -> int:
        """Number of classes (columns of the one-hot labels)."""
        return int(self.y_train.shape[1])

    @property
    def d(self) -> int:
        """Input dimension."""
        return int(self.X_train.shape[1])


def _normalize(X: np.ndarray) -> np.ndarray:
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def mixture_centers(
    K: int,
    C: int,
    d: int,
    rng: np.random.Generator,
    min_distance: float | None = None,
    max_tries: int = 10_000,
) -> np.ndarray:
    """``KC`` unit-norm centres (rows, class-major: row ``l*C + c`` is cluster ``(l, c)``).

    With ``min_distance`` every pair is at least that far apart (rejection sampling).

    Parameters
    ----------
    K, C, d : int
        Classes, clusters per class, dimension.
    rng : numpy.random.Generator
        The source of randomness (advanced by the draws).
    min_distance : float, optional
        Smallest Euclidean distance between two centres, in [0, 2].
    max_tries : int
        Draws before giving up.

    Returns
    -------
    ndarray, shape (KC, d)
        Unit-norm centres, class-major.

    Raises
    ------
    ValueError
        If ``min_distance`` is outside [0, 2] or the centres cannot be placed in
        ``max_tries`` draws.

    Examples
    --------
    >>> M = mixture_centers(2, 3, 5, np.random.default_rng(0), min_distance=0.5)
    >>> M.shape, bool(np.allclose(np.linalg.norm(M, axis=1), 1.0))
    ((6, 5), True)
    """
    m = K * C
    if min_distance is None:
        return _normalize(rng.standard_normal((m, d)))
    if not (0 <= min_distance <= 2):
        raise ValueError(f"min_distance must lie in [0, 2] for unit vectors, got {min_distance}")
    centers: list[np.ndarray] = []
    tries = 0
    while len(centers) < m:
        tries += 1
        if tries > max_tries:
            raise ValueError(
                f"could not place {m} unit centres in R^{d} with min_distance="
                f"{min_distance}; lower it or raise d"
            )
        c = _normalize(rng.standard_normal((1, d)))[0]
        if all(np.linalg.norm(c - o) >= min_distance for o in centers):
            centers.append(c)
    return np.array(centers)


def gaussian_mixture(
    n: int,
    n_test: int,
    *,
    K: int,
    C: int,
    d: int,
    sigma: float,
    seed: int,
    min_distance: float | None = None,
    normalize: bool = True,
) -> Dataset:
    """Definition 2.4: ``KC`` clusters, uniform assignment, ``x ~ N(mu, sigma^2 I_d / d)``, label ``e_l``.

    ``normalize=True`` rescales every input to unit norm (the theorems' assumption, docs/theory.md#i14-mixture-unit-norm);
    the centres stay unit-norm either way.

    Parameters
    ----------
    n, n_test : int
        Training and test sample counts (positive).
    K, C, d : int
        Classes, clusters per class, dimension (positive).
    sigma : float
        Noise level (>= 0): each input is ``mu + (sigma / sqrt(d)) g`` with ``g ~ N(0, I_d)``.
    seed : int
        Seed of ``numpy.random.default_rng``.
    min_distance : float, optional
        Smallest distance between two centres (see :func:`mixture_centers`).
    normalize : bool
        Rescale every input to unit norm.

    Returns
    -------
    Dataset
        ``meta`` holds ``centers`` (KC x d), the cluster ids ``clusters_train`` and
        ``clusters_test`` (cluster ``l C + c`` belongs to class ``l``), and ``K``, ``C``,
        ``sigma``, ``normalized``.

    Raises
    ------
    ValueError
        For a non-positive count or size, or a negative or non-finite ``sigma``.

    Examples
    --------
    >>> data = gaussian_mixture(30, 10, K=3, C=2, d=8, sigma=0.2, seed=0)
    >>> data.X_train.shape, data.y_train.shape, data.meta["centers"].shape
    ((30, 8), (30, 3), (6, 8))
    >>> bool(np.allclose(np.linalg.norm(data.X_train, axis=1), 1.0))
    True
    >>> bool((data.y_train.argmax(1) == data.meta["clusters_train"] // 2).all())
    True
    """
    n, n_test = validate.count("n", n), validate.count("n_test", n_test)
    K, C, d = validate.count("K", K), validate.count("C", C), validate.count("d", d)
    if not (np.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"sigma must be >= 0, got {sigma!r}")
    rng = np.random.default_rng(seed)
    M = mixture_centers(K, C, d, rng, min_distance)

    def draw(m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cl = rng.integers(0, K * C, m)
        X = M[cl] + sigma / np.sqrt(d) * rng.standard_normal((m, d))
        return (_normalize(X) if normalize else X), np.eye(K)[cl // C], cl

    Xtr, ytr, ctr = draw(n)
    Xte, yte, cte = draw(n_test)
    return Dataset(
        Xtr,
        ytr,
        Xte,
        yte,
        {
            "centers": M,
            "clusters_train": ctr,
            "clusters_test": cte,
            "K": K,
            "C": C,
            "sigma": sigma,
            "normalized": normalize,
        },
    )


def uniform_sphere(n: int, d: int, seed: int) -> np.ndarray:
    """``n`` points drawn uniformly on the unit sphere of ``R^d`` (normalised Gaussians).

    Inputs with no cluster structure: the reference that the mixture's spectrum is compared
    with (the ``spectrum`` experiment) and a negative control.

    Parameters
    ----------
    n, d : int
        Number of points and dimension (positive).
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    ndarray, shape (n, d)
        Unit-norm rows, float64.

    Examples
    --------
    >>> X = uniform_sphere(5, 3, seed=0)
    >>> X.shape, bool(np.allclose(np.linalg.norm(X, axis=1), 1.0))
    ((5, 3), True)
    """
    n, d = validate.count("n", n), validate.count("d", d)
    return _normalize(np.random.default_rng(seed).standard_normal((n, d)))


def corrupt_labels(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Switch a ``fraction`` of the one-hot labels to a *different* class, uniformly (App. C.2).

    ``round(fraction * n)`` rows are chosen without replacement; each chosen row gets one of the
    ``K - 1`` other classes uniformly at random.

    Parameters
    ----------
    y : ndarray, shape (n, K)
        One-hot labels.
    fraction : float
        Fraction of rows to corrupt, in [0, 1].
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    ndarray, shape (n, K)
        The new one-hot labels (float64).
    ndarray of bool, shape (n,)
        The mask of corrupted rows.

    Raises
    ------
    ValueError
        If ``fraction`` is outside [0, 1], or ``fraction > 0`` with fewer than 2 classes.

    Examples
    --------
    >>> y = np.eye(3)[[0, 1, 2, 0, 1, 2, 0, 1, 2, 0]]
    >>> y2, mask = corrupt_labels(y, 0.3, seed=0)
    >>> int(mask.sum()), bool((y2.argmax(1) != y.argmax(1)).sum() == 3)
    (3, True)
    """
    if not (0.0 <= fraction <= 1.0):
        raise ValueError(f"fraction must lie in [0, 1], got {fraction!r}")
    n, K = y.shape
    if K < 2 and fraction > 0:
        raise ValueError("label corruption needs K >= 2 classes")
    rng = np.random.default_rng(seed)
    m = round(fraction * n)
    idx = rng.choice(n, size=m, replace=False)
    labels = y.argmax(axis=1)
    shift = rng.integers(1, K, size=m) if m else np.zeros(0, dtype=int)
    new = labels.copy()
    new[idx] = (labels[idx] + shift) % K
    mask = np.zeros(n, dtype=bool)
    mask[idx] = True
    return np.eye(K)[new], mask


@dataclass(frozen=True, eq=False)
class LinearModel:
    """Section 5.1: ``X = Xbar + Z``, ``y = Xbar w* + z``, ``Xbar = U S V^T`` of rank ``r``.

    ``Z`` has i.i.d. N(0, sigma_x^2/n) entries and ``z`` i.i.d. N(0, sigma_y^2/n) (docs/theory.md#r42-noise-variances).
    Built by :func:`linear_model`.

    Attributes
    ----------
    X : ndarray, shape (n, d)
        Observed inputs ``Xbar + Z``.
    y : ndarray, shape (n,)
        Observed targets ``Xbar w* + z``.
    Xbar : ndarray, shape (n, d)
        The rank-``r`` signal ``U V^T``.
    ybar : ndarray, shape (n,)
        Noise-free targets ``Xbar w*``.
    U : ndarray, shape (n, r)
        Orthonormal left factor of ``Xbar``.
    w_star : ndarray, shape (d,)
        The true weights.
    sigma_x, sigma_y : float
        Input and target noise levels.
    """

    X: np.ndarray
    y: np.ndarray
    Xbar: np.ndarray
    ybar: np.ndarray
    U: np.ndarray
    w_star: np.ndarray
    sigma_x: float
    sigma_y: float

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(self.X.shape[0])

    @property
    def r(self) -> int:
        """Rank of the signal ``Xbar``."""
        return int(self.U.shape[1])

    def population_losses(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``E L``, ``E L_I``, ``E L_N`` of Section 5.1 for each column of ``w`` (d x m).

        ``E L_I = ½||Xbar w - ybar||^2 + (r/2n)(sigma_x^2 ||w||^2 + sigma_y^2)`` and
        ``E L_N = ½(1 - r/n)(sigma_x^2 ||w||^2 + sigma_y^2)``.

        Parameters
        ----------
        w : ndarray, shape (d,) or (d, m)
            One weight vector or ``m`` of them as columns.

        Returns
        -------
        tuple of ndarray, each of shape (m,)
            ``(E L, E L_I, E L_N)`` with ``E L = E L_I + E L_N`` (``m = 1`` for a vector).

        Examples
        --------
        >>> model = linear_model(n=20, d=40, r=2, seed=0)
        >>> L, L_I, L_N = model.population_losses(model.w_star)
        >>> bool(np.isclose(L[0], L_I[0] + L_N[0]))
        True
        """
        W = w.reshape(w.shape[0], -1)
        fit = 0.5 * np.sum((self.Xbar @ W - self.ybar[:, None]) ** 2, axis=0)
        noise = self.sigma_x**2 * np.sum(W**2, axis=0) + self.sigma_y**2
        rn = self.r / self.n
        L_I = fit + 0.5 * rn * noise
        L_N = 0.5 * (1 - rn) * noise
        return L_I + L_N, L_I, L_N

    def resample(self, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """A fresh ``(X, y)`` with the same ``Xbar``, ``ybar`` (for Monte Carlo of the population loss).

        Parameters
        ----------
        seed : int
            Seed of ``numpy.random.default_rng`` for the new noise.

        Returns
        -------
        ndarray, shape (n, d)
            ``Xbar + Z'``.
        ndarray, shape (n,)
            ``ybar + z'``.
        """
        rng = np.random.default_rng(seed)
        n, d = self.X.shape
        X = self.Xbar + self.sigma_x / np.sqrt(n) * rng.standard_normal((n, d))
        y = self.ybar + self.sigma_y / np.sqrt(n) * rng.standard_normal(n)
        return X, y


def linear_model(
    n: int = 200,
    d: int = 500,
    r: int = 5,
    sigma_x: float = 0.2,
    sigma_y: float = 2.0,
    *,
    seed: int,
    w_star_norm: float | None = None,
) -> LinearModel:
    """The Fig. 8 model: ``U``, ``V`` uniformly random orthonormal, ``S = I_r``.

    The paper leaves ``w*`` unspecified; we take ``w* = V g`` with ``g ~ N(0, I_r)`` rescaled so
    that ``||w*|| = w_star_norm`` (default ``sqrt(n)``, which makes ``||ybar|| = sqrt(n)`` like
    one-hot labels).

    Parameters
    ----------
    n, d, r : int
        Samples, dimension and signal rank, with ``r <= n <= d``.
    sigma_x, sigma_y : float
        Input and target noise levels (>= 0).
    seed : int
        Seed of ``numpy.random.default_rng``.
    w_star_norm : float, optional
        ``||w*||`` (default ``sqrt(n)``).

    Returns
    -------
    LinearModel

    Raises
    ------
    ValueError
        If ``r <= n <= d`` fails, a size is not positive, or a noise level is negative or not
        finite.

    Examples
    --------
    >>> model = linear_model(n=20, d=40, r=2, seed=0)
    >>> model.X.shape, model.r, round(float(np.linalg.norm(model.ybar)) ** 2, 8)
    ((20, 40), 2, 20.0)
    """
    n, d, r = validate.count("n", n), validate.count("d", d), validate.count("r", r)
    if not r <= n <= d:
        raise ValueError(
            f"need r <= n <= d (rank-r signal, overparameterised), got r={r}, n={n}, d={d}"
        )
    for name, val in (("sigma_x", sigma_x), ("sigma_y", sigma_y)):
        if not (np.isfinite(val) and val >= 0):
            raise ValueError(f"{name} must be >= 0, got {val!r}")
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.standard_normal((n, r)))[0]
    Vm = np.linalg.qr(rng.standard_normal((d, r)))[0]
    Xbar = U @ Vm.T
    g = rng.standard_normal(r)
    w_star = Vm @ (g / np.linalg.norm(g) * (w_star_norm if w_star_norm is not None else np.sqrt(n)))
    ybar = Xbar @ w_star
    X = Xbar + sigma_x / np.sqrt(n) * rng.standard_normal((n, d))
    y = ybar + sigma_y / np.sqrt(n) * rng.standard_normal(n)
    return LinearModel(X, y, Xbar, ybar, U, w_star, sigma_x, sigma_y)


def digits(n_train: int, n_test: int, seed: int) -> Dataset:
    """scikit-learn's 8x8 digits (1797 images, 10 classes, shipped inside the package).

    Rows are centred by the training mean and normalised to unit norm; train and test are
    disjoint random subsets.  Needs scikit-learn (no download: the data ship with it).

    Parameters
    ----------
    n_train, n_test : int
        Sizes of the two subsets (``n_train >= 2``, ``n_test >= 1``; together at most 1797).
    seed : int
        Seed of the random permutation.

    Returns
    -------
    Dataset
        ``d = 64``, ``K = 10``.

    Raises
    ------
    ValueError
        If ``n_train < 2``, ``n_test < 1`` or ``n_train + n_test > 1797``.

    Examples
    --------
    >>> data = digits(50, 20, seed=0)
    >>> data.X_train.shape, data.y_test.shape
    ((50, 64), (20, 10))
    """
    from sklearn.datasets import load_digits  # local: the data ships with scikit-learn

    data = load_digits()
    return _real("digits", data.data.astype(np.float64), data.target, n_train, n_test, seed)


#: The file of :func:`mnist` and its SHA-256 (see ``simulate/datasets/README.md``).
MNIST_FILE = Path(__file__).parent / "datasets" / "mnist10k.npz"
MNIST_SHA256 = "a232926e1452117687757cf1d75c2d7832da1b43ff4a80851076ec0ce61be70a"


def _real(
    name: str, X: np.ndarray, labels: np.ndarray, n_train: int, n_test: int, seed: int
) -> Dataset:
    """Disjoint random train/test subsets, rows centred by the training mean, unit norm.

    ``n_train >= 2``: one training row is its own mean, and would centre to zero.
    """
    n_train = validate.count("n_train", n_train, minimum=2)
    n_test = validate.count("n_test", n_test)
    if n_train + n_test > X.shape[0]:
        raise ValueError(
            f"n_train + n_test must be <= {X.shape[0]} for {name}, got {n_train + n_test}"
        )
    perm = np.random.default_rng(seed).permutation(X.shape[0])
    tr, te = perm[:n_train], perm[n_train : n_train + n_test]
    mean = X[tr].mean(axis=0)
    Xtr, Xte = X[tr] - mean, X[te] - mean
    if not (np.linalg.norm(Xtr, axis=1).all() and np.linalg.norm(Xte, axis=1).all()):
        raise ValueError(
            f"a row of {name} equals the training mean (seed {seed}): draw another split"
        )
    Y = np.eye(10)[labels]
    return Dataset(_normalize(Xtr), Y[tr], _normalize(Xte), Y[te], {"name": name})


def mnist(n_train: int, n_test: int, seed: int) -> Dataset:
    """10,000 MNIST digits (28 x 28, 10 classes) shipped with this package; nothing is downloaded.

    Rows (784 grey levels) are centred by the training mean and normalised to unit norm; train
    and test are disjoint random subsets of the 10,000, so ``n_train + n_test <= 10000``.  The
    file's SHA-256 is checked on every load (a damaged file is a ``ValueError``).

    Examples
    --------
    >>> ds = mnist(100, 50, seed=0)
    >>> ds.X_train.shape, ds.y_test.shape
    ((100, 784), (50, 10))
    """
    raw = MNIST_FILE.read_bytes()
    if hashlib.sha256(raw).hexdigest() != MNIST_SHA256:
        raise ValueError(f"{MNIST_FILE} is damaged (SHA-256 differs); reinstall the package")
    with np.load(io.BytesIO(raw)) as f:
        X, labels = f["images"].astype(np.float64), f["labels"].astype(np.int64)
    return _real("mnist", X, labels, n_train, n_test, seed)


#: Every name :func:`load` takes (the experiments' ``dataset`` field is checked against it).
DATASETS = ("mixture", "digits", "mnist")


def check_dataset(name: object) -> str:
    """``name`` if it is one of :data:`DATASETS`, else a ``ValueError`` naming them."""
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(map(repr, DATASETS))}, got {name!r}")
    return str(name)


def load(name: str, n_train: int, n_test: int, seed: int, **kwargs: Any) -> Dataset:
    """One interface for every classification dataset: ``"mixture"``, ``"digits"``, ``"mnist"``.

    Parameters
    ----------
    name : str
        ``"mixture"`` (:func:`gaussian_mixture`), ``"digits"`` (:func:`digits`) or ``"mnist"``
        (:func:`mnist`); :data:`DATASETS` lists them.
    n_train, n_test : int
        Training and test sample counts.
    seed : int
        Seed of all randomness.
    **kwargs
        ``mixture`` takes ``K, C, d, sigma`` and optional ``min_distance``, ``normalize``;
        the real datasets take none.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        For an unknown ``name``, options given to a real dataset, or invalid sizes.

    Examples
    --------
    >>> load("mixture", 10, 4, seed=0, K=2, C=1, d=3, sigma=0.0).X_train.shape
    (10, 3)
    """
    check_dataset(name)
    if name == "mixture":
        return gaussian_mixture(n_train, n_test, seed=seed, **kwargs)
    if kwargs:
        raise ValueError(f"{name} takes no options, got {sorted(kwargs)}")
    return digits(n_train, n_test, seed) if name == "digits" else mnist(n_train, n_test, seed)
