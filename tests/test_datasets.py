"""The real datasets shipped with the package: shapes, normalisation, splits, integrity."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulate import data
from simulate.experiments import run_experiment


def test_mnist_file_is_the_documented_one():
    assert hashlib.sha256(data.MNIST_FILE.read_bytes()).hexdigest() == data.MNIST_SHA256
    with np.load(data.MNIST_FILE) as f:
        images, labels = f["images"], f["labels"]
    assert images.shape == (10_000, 784) and images.dtype == np.uint8
    # The class counts stated in simulate/datasets/README.md.
    assert np.bincount(labels).tolist() == [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]


@settings(max_examples=10, deadline=None)
@given(
    name=st.sampled_from(["digits", "mnist"]),
    n=st.integers(2, 300),
    n_test=st.integers(1, 300),
    seed=st.integers(0, 2**32 - 1),
)
def test_real_datasets_are_unit_norm_one_hot_and_disjoint(name, n, n_test, seed):
    ds = data.load(name, n, n_test, seed)
    assert ds.X_train.shape[0] == n and ds.X_test.shape[0] == n_test and ds.K == 10
    np.testing.assert_allclose(np.linalg.norm(ds.X_train, axis=1), 1.0, rtol=1e-12)
    for Y in (ds.y_train, ds.y_test):
        assert set(np.unique(Y)) <= {0.0, 1.0} and np.all(Y.sum(axis=1) == 1)
    again = data.load(name, n, n_test, seed)
    assert np.array_equal(again.X_train, ds.X_train)  # the seed fixes the split


def test_mnist_refuses_more_than_it_holds_and_a_damaged_file(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="n_train \\+ n_test must be <= 10000 for mnist"):
        data.mnist(9000, 1001, seed=0)
    with pytest.raises(ValueError, match="n_train must be an integer >= 2"):
        data.mnist(1, 10, seed=0)
    bad = tmp_path / "mnist10k.npz"
    raw = bytearray(data.MNIST_FILE.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    bad.write_bytes(bytes(raw))
    monkeypatch.setattr(data, "MNIST_FILE", bad)
    with pytest.raises(ValueError, match="damaged"):
        data.mnist(10, 10, seed=0)


def test_unknown_dataset_names_every_known_one():
    with pytest.raises(ValueError, match="'mixture', 'digits', 'mnist'"):
        data.load("cifar", 10, 10, 0)
    with pytest.raises(ValueError, match="takes no options"):
        data.load("mnist", 10, 10, 0, K=3)


def test_corruption_runs_on_mnist(tmp_path):
    cfg = {
        "dataset": "mnist",
        "n": 60,
        "n_test": 60,
        "k": 64,
        "steps": 30,
        "record_every": 10,
        "corruptions": [0.0, 0.5],
        "device": "cpu",
    }
    res = run_experiment("corruption", tmp_path, cfg, progress=False)
    assert res["config"]["dataset"] == "mnist" and len(res["tables"]) >= 1
