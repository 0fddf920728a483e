"""The points of a sweep, each a cached run, computed in this process or as Ray tasks.

Every experiment that sweeps (``corruption``, ``dynamics``, ``generalization``, ``mixture``)
hands its points to :func:`map_points`.  A point is a run file name, the configuration its
result is valid for, and a zero-argument ``compute`` (a :func:`functools.partial` of a
module-level function, so that Ray can send it to another process).  Whatever the backend:

- a point whose run file ``out/runs/<name>.json`` is valid is read, not computed
  (:func:`simulate.io.load_run`);
- each computed point is written atomically by *this* process as soon as it is back
  (:func:`simulate.io.store_run`), so a sweep killed at any moment resumes from the points it
  finished, with either backend;
- the results come back in the order of the points, as JSON gives them.

The backend is chosen per call or, for a whole experiment, by
``run_experiment(..., backend=...)`` (:func:`using`); the default is ``local``.

``ray`` (``pip install "jacobound[ray]"``) sends each point to a Ray cluster as one task
(one CPU, and one GPU when the run's device is CUDA): a local one that :func:`ray.init` starts,
or the cluster at ``address`` (``ray start --head`` prints it).  Scheduling, retries and
placement are Ray's.  Each task runs with this process's thread counts (torch, BLAS), so that
on one machine a Ray sweep gives the same numbers, to the bit, as a local one; a worker whose
jacobound sources differ from this process's is refused.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from . import io

#: Names ``--backend`` accepts.
BACKENDS = ("local", "ray")


@dataclasses.dataclass(frozen=True)
class Point:
    """One point of a sweep.

    Attributes
    ----------
    name : str
        Its run file is ``out/runs/<name>.json``; unique within a sweep.
    config : mapping
        What the stored result is valid for (hashed by :func:`simulate.io.config_key`).
    compute : callable
        ``compute() -> mapping``, JSON-ready; picklable for the Ray backend.
    """

    name: str
    config: Mapping[str, Any]
    compute: Callable[[], Mapping[str, Any]]


class Backend(Protocol):
    """Computes the points that have no valid run file and stores each as it finishes."""

    @property
    def name(self) -> str:
        """``local``, ``ray``, ... (recorded in ``run_info.json``)."""
        ...

    def map(self, out: Path, points: Sequence[Point]) -> list[dict[str, Any]]:
        """The result of every point, in order (see :func:`map_points`)."""
        ...


@dataclasses.dataclass(frozen=True)
class LocalBackend:
    """The points one after the other in this process (the default)."""

    name: str = "local"

    def map(self, out: Path, points: Sequence[Point]) -> list[dict[str, Any]]:
        """Each point by :func:`simulate.io.cached_run`, in order."""
        return [io.cached_run(out, p.name, p.config, p.compute) for p in points]


def _thread_counts() -> dict[str, Any]:
    """This process's torch and BLAS/OpenMP thread counts (sent with every Ray task)."""
    import torch

    counts: dict[str, Any] = {"torch": torch.get_num_threads(), "pools": {}}
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # scikit-learn brings it; without it only torch's count is matched
        return counts
    for pool in threadpool_info():
        api, n = pool.get("user_api"), pool.get("num_threads")
        if isinstance(api, str) and isinstance(n, int):
            counts["pools"][api] = max(n, counts["pools"].get(api, 0))
    return counts


def _run_point(
    compute: Callable[[], Mapping[str, Any]], threads: Mapping[str, Any]
) -> tuple[str, str, dict[str, Any]]:
    """Body of a Ray task: ``compute()`` with the driver's thread counts.

    Returns the worker's jacobound version and source digest beside the result, so that the
    driver can refuse results computed by other code than its own.
    """
    import torch

    torch.set_num_threads(int(threads["torch"]))
    limits: Any = contextlib.nullcontext()
    if threads.get("pools"):
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            pass
        else:
            limits = threadpool_limits(limits=dict(threads["pools"]))
    with limits:
        result = dict(compute())
    return io.package_version(), io.source_digest(), result


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ValueError(
            'backend "ray" needs Ray: pip install "jacobound[ray]" (or pip install ray)'
        ) from None
    return ray


@dataclasses.dataclass(frozen=True)
class RayBackend:
    """Each point without a valid run file as one Ray task; results stored as they arrive.

    Attributes
    ----------
    address : str or None
        ``HOST:PORT`` of a running cluster (``ray start --head`` prints it), ``"auto"`` for the
        one on this machine, or ``None``: connect to ``RAY_ADDRESS`` when it is set, else start
        a local Ray for this process.  Ignored when Ray is already initialised (e.g. by
        ``ray.init(...)`` in a notebook): that session is used as it is.
    num_gpus : float
        GPUs each task asks for; :func:`simulate.experiments.run_experiment` sets 1 when the
        run's device is CUDA.
    """

    address: str | None = None
    num_gpus: float = 0.0
    name: str = "ray"

    def _init(self, ray: Any) -> None:
        if ray.is_initialized():
            return
        # No usage statistics unless the user asked for them.
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": True}
        if self.address is not None:
            kwargs["address"] = self.address
        try:
            ray.init(**kwargs)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = self.address or os.environ.get("RAY_ADDRESS") or "a local Ray"
            msg = " ".join(str(exc).split())
            hint = (
                "; a cluster started with token authentication needs RAY_AUTH_MODE=token and "
                "its token (~/.ray/auth_token) here too"
                if where != "a local Ray" and "RAY_AUTH_MODE" not in os.environ
                else ""
            )
            raise ValueError(f"cannot start or reach {where}: {msg}{hint}") from None

    def map(self, out: Path, points: Sequence[Point]) -> list[dict[str, Any]]:
        results: list[dict[str, Any] | None] = [io.load_run(out, p.name, p.config) for p in points]
        todo = [i for i, r in enumerate(results) if r is None]
        if todo:
            ray = _import_ray()
            self._init(ray)
            task = ray.remote(num_cpus=1, num_gpus=self.num_gpus, max_retries=0)(_run_point)
            threads = _thread_counts()
            pending = {task.remote(points[i].compute, threads): i for i in todo}
            version, source = io.package_version(), io.source_digest()
            try:
                while pending:
                    done, _ = ray.wait(list(pending), num_returns=1)
                    for ref in done:
                        i = pending.pop(ref)
                        w_version, w_source, result = ray.get(ref)
                        if (w_version, w_source) != (version, source):
                            raise ValueError(
                                f"a Ray worker ran jacobound {w_version} with sources {w_source}, "
                                f"this process is {version} with sources {source}: install the "
                                "same jacobound on every node"
                            )
                        results[i] = io.store_run(out, points[i].name, points[i].config, result)
            finally:
                for ref in pending:  # after an error or an interrupt: nothing left running
                    ray.cancel(ref, force=True)
        return [r for r in results if r is not None]


_CURRENT: contextvars.ContextVar[Backend | None] = contextvars.ContextVar(
    "jacobound_sweep_backend", default=None
)


def make_backend(name: str = "local", address: str | None = None, num_gpus: float = 0) -> Backend:
    """The backend called ``name`` (one of :data:`BACKENDS`); ``ValueError`` for anything else.

    ``address`` is for ``ray`` only.  Ray itself is imported when a sweep first needs it.

    Parameters
    ----------
    name : str
        ``"local"`` or ``"ray"``.
    address : str, optional
        The Ray cluster (see :class:`RayBackend`).
    num_gpus : float
        GPUs per Ray task.

    Returns
    -------
    Backend

    Raises
    ------
    ValueError
        For another name, an ``address`` with ``local``, or an empty address.

    Examples
    --------
    >>> make_backend("local")
    LocalBackend(name='local')
    >>> make_backend("ray", address="auto").address
    'auto'
    """
    if name == "local":
        if address is not None:
            raise ValueError('address is for backend "ray" only (got backend "local")')
        return LocalBackend()
    if name == "ray":
        if address is not None and not (isinstance(address, str) and address.strip()):
            raise ValueError(f"address must be HOST:PORT or 'auto', got {address!r}")
        return RayBackend(address=address, num_gpus=float(num_gpus))
    raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {name!r}")


@contextlib.contextmanager
def using(backend: Backend) -> Iterator[Backend]:
    """Make ``backend`` the one :func:`map_points` uses by default, inside the ``with``.

    A context variable: other threads and tasks keep theirs.

    Parameters
    ----------
    backend : Backend
        The default inside the block.

    Yields
    ------
    Backend
        ``backend``.

    Examples
    --------
    >>> with using(make_backend("ray")):
    ...     current().name
    'ray'
    >>> current().name
    'local'
    """
    token = _CURRENT.set(backend)
    try:
        yield backend
    finally:
        _CURRENT.reset(token)


def current() -> Backend:
    """The backend :func:`map_points` uses when none is given.

    Returns
    -------
    Backend
        The one set by :func:`using`, else a :class:`LocalBackend`.
    """
    return _CURRENT.get() or LocalBackend()


def map_points(
    out: Path | str, points: Sequence[Point], backend: Backend | None = None
) -> list[dict[str, Any]]:
    """The result of every point, in order: read from its run file or computed and stored.

    Parameters
    ----------
    out : path
        The experiment's output folder; run files go to ``out/runs``.
    points : sequence of Point
        Their names must be unique (two points with one name would share a run file).
    backend : Backend, optional
        Default :func:`current` (``local`` unless set by :func:`using`).

    Returns
    -------
    list of dict
        One result per point, in order, as JSON gives it back.

    Raises
    ------
    ValueError
        If two points share a name.

    Examples
    --------
    >>> import functools, tempfile
    >>> def square(x):
    ...     return {"x2": x * x}
    >>> points = [Point(f"x={x}", {"x": x}, functools.partial(square, x)) for x in (1, 2, 3)]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     map_points(tmp, points)
    [{'x2': 1}, {'x2': 4}, {'x2': 9}]
    """
    names = [p.name for p in points]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"sweep points must have distinct names, repeated: {dupes}")
    return (backend or current()).map(Path(out), points)
