"""CUDA paths agree with CPU (skipped without a GPU)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from simulate.backend import resolve_device
from simulate.eig import gram_operator, top_eigenpairs
from simulate.model import gd_step, init_random

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
]


def _problem(device):
    net = init_random(64, 8, 3, 1.0, 0, device=device)
    X = torch.as_tensor(np.random.default_rng(0).standard_normal((40, 8)), device=device)
    X = X / X.norm(dim=1, keepdim=True)
    Y = torch.as_tensor(np.eye(3)[np.arange(40) % 3], device=device)
    return net, X, Y


def test_auto_device_is_cuda():
    assert resolve_device("auto").type == "cuda"


def test_gram_and_step_match_cpu():
    cpu, gpu = _problem("cpu"), _problem("cuda")
    torch.testing.assert_close(
        gpu[0].gram(gpu[1]).cpu(), cpu[0].gram(cpu[1]), rtol=1e-10, atol=1e-12
    )
    new_c, _ = gd_step(*cpu, 0.1)
    new_g, _ = gd_step(*gpu, 0.1)
    torch.testing.assert_close(new_g.W.cpu(), new_c.W, rtol=1e-10, atol=1e-12)


def test_top_eigenpairs_on_cuda():
    net, X, _ = _problem("cuda")
    lam = torch.linalg.eigvalsh(net.gram(X)).flip(0).cpu().numpy()
    top = top_eigenpairs(gram_operator(net, X), 120, 5, tol=1e-9, device="cuda")
    np.testing.assert_allclose(top.eigenvalues, lam[:5], rtol=1e-8)


def test_top_eigenpairs_fast_float32_on_cuda():
    net, X, _ = _problem("cuda")
    lam = torch.linalg.eigvalsh(net.gram(X)).flip(0).cpu().numpy()
    exact = gram_operator(net, X)
    top = top_eigenpairs(
        exact,
        120,
        5,
        tol=1e-7,
        fast_apply=gram_operator(net, X, dtype=torch.float32),
        device="cuda",
    )
    np.testing.assert_allclose(top.eigenvalues, lam[:5], rtol=1e-8)
    assert np.all(top.residuals <= 1e-7 * lam[0])


def test_sign_class_and_general_gram_on_cuda():
    net, X, _ = _problem("cuda")
    general = net.with_V(
        net.V * torch.linspace(0.5, 1.5, net.V.numel(), device="cuda").view(net.V.shape)
    )
    for m in (net, general):
        J = m.jacobian(X)
        torch.testing.assert_close(m.gram(X), J @ J.T, rtol=1e-11, atol=1e-12)
