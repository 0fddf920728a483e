"""Closed-form Jacobian operations (6.27)-(6.29) against torch.func autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.func import jacrev, jvp, vjp

from simulate.data import corrupt_labels
from simulate.model import ShallowNet, gd_step, init_random
from simulate.train import TrainingDiverged, train

shapes = st.tuples(
    st.integers(1, 7),
    st.integers(1, 5),
    st.integers(1, 6),
    st.integers(1, 4),
    st.integers(0, 2**31 - 1),
    st.sampled_from(["softplus", "gaussian"]),
)


def _setup(n, d, k, K, seed, act):
    net = init_random(k, d, K, nu=1.3, seed=seed, activation=act, device="cpu")
    rng = np.random.default_rng(seed + 1)
    X = rng.standard_normal((n, d))
    X = torch.as_tensor(X / np.linalg.norm(X, axis=1, keepdims=True))
    return net, X


def _f(net, X):
    return lambda W: net.with_W(W).forward(X).T.reshape(-1)  # class-major


@given(shapes)
def test_jvp_vjp_jacobian_match_autograd(p):
    n, d, k, K, seed, act = p
    net, X = _setup(n, d, k, K, seed, act)
    f = _f(net, X)
    dW = torch.randn(k, d, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    _, ref = jvp(f, (net.W,), (dW,))
    torch.testing.assert_close(net.jvp(X, dW).reshape(-1), ref, rtol=1e-12, atol=1e-12)
    U = torch.randn(K, n, dtype=torch.float64, generator=torch.Generator().manual_seed(seed + 2))
    _, pull = vjp(f, net.W)
    torch.testing.assert_close(net.vjp(X, U), pull(U.reshape(-1))[0], rtol=1e-12, atol=1e-12)
    J = jacrev(f)(net.W).reshape(n * K, k * d)
    torch.testing.assert_close(net.jacobian(X), J, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(net.gram(X), J @ J.T, rtol=1e-11, atol=1e-12)


@given(shapes)
def test_gram_eigenvalues_are_squared_singular_values(p):
    n, d, k, K, seed, act = p
    net, X = _setup(n, d, k, K, seed, act)
    ev = torch.linalg.eigvalsh(net.gram(X)).flip(0)
    sv = torch.linalg.svdvals(net.jacobian(X))
    m = min(len(ev), len(sv))
    scale = float(ev[0]) + 1e-300
    torch.testing.assert_close(ev[:m] / scale, sv[:m] ** 2 / scale, rtol=0, atol=1e-11)
    assert torch.all(ev[m:].abs() <= 1e-10 * scale)


@given(shapes, st.floats(1e-3, 1.0))
def test_gd_step_matches_autograd(p, eta):
    n, d, k, K, seed, act = p
    net, X = _setup(n, d, k, K, seed, act)
    Y = torch.as_tensor(np.eye(K)[np.random.default_rng(seed).integers(0, K, n)])
    W = net.W.clone().requires_grad_(True)
    loss = 0.5 * ((net.with_W(W).forward(X) - Y) ** 2).sum()
    loss.backward()
    new, R = gd_step(net, X, Y, eta)
    torch.testing.assert_close(new.W, net.W - eta * W.grad, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(R, net.forward(X) - Y)


@given(st.integers(0, 2**31 - 1), st.floats(0.05, 1.0))
def test_lemma_6_3_on_two_network_jacobians(seed, frac):
    """Lemma 6.3 with A = J(W), B = J(W'): ||(I - eta A B^T) r|| <= (1 + eta eps^2) ||r||.

    ``eps = ||B - A||`` is the network's ``jacobian_distance`` (never forms J), the product is
    its ``jvp``/``vjp``, and ``r`` the worst direction (top right singular vector).  With
    nK = 16 > kd = 6, ``J J^T`` is singular and ``||I - eta A B^T|| > 1`` for ``A != B``
    (measured 5e-6 .. 2e-2 above 1): the eps term is needed, so a ``jacobian_distance`` that
    returned 0 would fail here.
    """
    n, d, k, K = 8, 2, 3, 2
    net, X = _setup(n, d, k, K, seed, "softplus")
    gen = torch.Generator().manual_seed(seed)
    other = net.with_W(net.W + 0.5 * torch.randn(k, d, dtype=torch.float64, generator=gen))
    A, B = net.jacobian(X).numpy(), other.jacobian(X).numpy()
    beta = max(np.linalg.norm(A, 2), np.linalg.norm(B, 2))
    eps = other.jacobian_distance(net, X)
    eta = frac / beta**2
    r = np.linalg.svd(np.eye(n * K) - eta * A @ B.T)[2][0]
    Bt_r = other.vjp(X, torch.as_tensor(r).reshape(K, n))
    Mr = r - eta * net.jvp(X, Bt_r).reshape(-1).numpy()
    assert np.linalg.norm(Mr) > 1 + 1e-9  # premise: the instance needs the eps term
    assert np.linalg.norm(Mr) <= (1 + eta * eps**2) * (1 + 1e-12)


def test_training_reduces_loss_and_records(rng):
    net, X = _setup(20, 4, 32, 3, 0, "softplus")
    Y = torch.as_tensor(np.eye(3)[rng.integers(0, 3, 20)])
    eta = 1.0 / float(torch.linalg.eigvalsh(net.gram(X))[-1])
    _, h = train(
        net,
        X,
        Y,
        eta=eta,
        steps=50,
        record_every=10,
        X_test=X,
        Y_test=Y,
        store_residuals=True,
        progress=False,
    )
    assert list(h.steps) == [0, 10, 20, 30, 40, 50]
    assert np.all(np.diff(h.train_loss) <= 0)
    assert h.residuals.shape == (6, 60)
    np.testing.assert_allclose(np.linalg.norm(h.residuals, axis=1), h.residual_norm)
    assert h.W_frobenius[0] == 0 and h.W_frobenius[-1] > 0


def test_divergence_is_detected(rng):
    net, X = _setup(20, 4, 32, 3, 0, "softplus")
    Y = torch.as_tensor(np.eye(3)[rng.integers(0, 3, 20)])
    eta = 10.0 / float(torch.linalg.eigvalsh(net.gram(X))[-1])
    with pytest.raises(TrainingDiverged, match="diverged"):
        train(net, X, Y, eta=eta, steps=200, progress=False, step_bound=0.1)


def test_bad_model_inputs():
    with pytest.raises(ValueError, match="activation"):
        ShallowNet(torch.zeros(2, 3), torch.zeros(1, 2), "relu")
    with pytest.raises(ValueError, match="matching k"):
        ShallowNet(torch.zeros(2, 3, dtype=torch.float64), torch.zeros(1, 3, dtype=torch.float64))
    net = init_random(3, 2, 2, 1.0, 0, device="cpu")
    with pytest.raises(ValueError, match="X must be"):
        net.forward(torch.zeros(4, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="nu"):
        init_random(3, 2, 2, float("nan"), 0)


def test_corruption_switches_to_another_class():
    y = np.eye(4)[np.arange(100) % 4]
    new, mask = corrupt_labels(y, 0.5, seed=3)
    assert mask.sum() == 50
    assert np.all(new[mask].argmax(1) != y[mask].argmax(1))
    assert np.all(new[~mask] == y[~mask])


@given(shapes)
def test_jacobian_distance_matches_explicit(p):
    n, d, k, K, seed, act = p
    net, X = _setup(n, d, k, K, seed, act)
    other = net.with_W(
        net.W
        + 0.3
        * torch.randn(k, d, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    )
    explicit = torch.linalg.matrix_norm(net.jacobian(X) - other.jacobian(X), ord=2)
    assert abs(net.jacobian_distance(other, X) - float(explicit)) <= 1e-6 * (1 + float(explicit))


@given(shapes, st.booleans())
def test_gram_paths_agree(p, rademacher):
    """Sign-class path (constant |V|) and the general QQ^T path give the explicit JJ^T."""
    n, d, k, K, seed, act = p
    net, X = _setup(n, d, k, K, seed, act)
    if not rademacher:
        gen = torch.Generator().manual_seed(seed)
        net = net.with_V(net.V * (1 + torch.rand(net.V.shape, generator=gen, dtype=net.V.dtype)))
    J = net.jacobian(X)
    torch.testing.assert_close(net.gram(X), J @ J.T, rtol=1e-11, atol=1e-12)


@pytest.fixture
def mapped(monkeypatch):
    """Sizes of the anonymous mappings ``empty_large`` makes (its huge-page path) in a test."""
    import mmap

    from simulate import backend

    if getattr(mmap, "MADV_HUGEPAGE", None) is None:
        pytest.skip("no MADV_HUGEPAGE on this platform: empty_large falls back to torch.empty")
    sizes: list[int] = []
    real_mmap = mmap.mmap

    def spy(fileno, length, *args, **kwargs):
        sizes.append(length)
        return real_mmap(fileno, length, *args, **kwargs)

    monkeypatch.setattr(backend.mmap, "mmap", spy)
    return sizes


@pytest.mark.parametrize("rademacher", [True, False])
def test_gram_large_output_uses_huge_page_buffer(rademacher, mapped):
    """At nK = 2200 the output (39 MB) comes from ``empty_large``'s mapping; values unchanged."""
    net, X = _setup(1100, 3, 8, 2, 5, "softplus")
    if not rademacher:
        net = net.with_V(net.V * torch.linspace(0.5, 1.5, net.V.numel()).reshape(net.V.shape))
    G = net.gram(X)
    assert 2200 * 2200 * 8 in mapped  # the Gram itself took the huge-page path
    J = net.jacobian(X)
    torch.testing.assert_close(G, J @ J.T, rtol=1e-11, atol=1e-12)
    del J
    torch.testing.assert_close(G, G.T, rtol=0, atol=0)


def test_empty_large_is_a_writable_owned_buffer(mapped):
    from simulate.backend import empty_large

    cpu = torch.device("cpu")
    small = empty_large((3, 4), dtype=torch.float32, device=cpu)
    assert small.shape == (3, 4) and small.dtype == torch.float32
    assert mapped == []  # small buffers stay with torch's allocator
    big = empty_large((1024, 4097), dtype=torch.float64, device=cpu)  # 32 MiB + 8 KiB
    assert mapped == [1024 * 4097 * 8]
    assert big.shape == (1024, 4097) and big.dtype == torch.float64 and big.is_contiguous()
    big.fill_(2.5)
    view = big[1:3]
    del big  # the mapping lives as long as any tensor that uses it
    assert float(view.sum()) == 2.5 * 2 * 4097


@given(shapes)
def test_gram_trace_is_the_sum_of_eigenvalues(p):
    n, d, k, K, seed, act = p
    net, X = _setup(n, d, k, K, seed, act)
    G = net.gram(X)
    assert abs(net.gram_trace(X) - float(G.trace())) <= 1e-12 * (1 + float(G.trace()))


@given(shapes, st.integers(1, 2**14))
def test_chunked_paths_equal_unchunked(p, max_bytes):
    """Over chunks of hidden units (any budget, chunks that need not divide k) forward, Gram,
    Jacobian distance and the GD step (new and in place) equal the unchunked paths."""
    n, d, k, K, seed, act = p
    net, X = _setup(n, d, k + 5, K, seed, act)
    other = net.with_W(net.W + 0.3 * torch.sin(net.W))
    Y = torch.cos(torch.arange(n * K, dtype=torch.float64)).reshape(n, K)

    def close(a, b):
        scale = max(float(torch.as_tensor(b).abs().max()), 1e-300)
        assert float(torch.as_tensor(a - b).abs().max()) <= 1e-12 * scale

    close(net.forward(X, max_bytes=max_bytes), net.forward(X))
    close(net.gram(X, max_bytes=max_bytes), net.gram(X))
    G = net.gram(X, max_bytes=max_bytes)
    assert torch.equal(G, G.T)
    close(
        torch.tensor(net.jacobian_distance(other, X, max_bytes=max_bytes)),
        torch.tensor(net.jacobian_distance(other, X)),
    )
    ref, R = gd_step(net, X, Y, 0.7)
    new, Rc = gd_step(net, X, Y, 0.7, max_bytes=max_bytes)
    close(new.W, ref.W)
    close(Rc, R)
    W = net.W.clone()
    inplace, Ri = gd_step(net.with_W(W), X, Y, 0.7, max_bytes=max_bytes, out=W)
    assert inplace.W is W
    close(W, ref.W)
    close(Ri, R)


def test_chunking_kicks_in_above_the_budget():
    from simulate.model import unit_chunk

    assert unit_chunk(1000, 10, 8, None) == 1000
    assert unit_chunk(1000, 10, 8, 800) == 10
    assert unit_chunk(1000, 10, 8, 1) == 1  # at least one unit per chunk
    with pytest.raises(ValueError, match="max_bytes"):
        unit_chunk(1000, 10, 8, 0)
    net, X = _setup(3, 2, 4, 1, 0, "softplus")
    with pytest.raises(ValueError, match="out must be"):
        gd_step(net, X, torch.zeros(3, 1, dtype=torch.float64), 0.1, out=torch.zeros(2, 2))
