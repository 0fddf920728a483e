"""Contract tests over the experiment registry, and a toy experiment registered at run time.

In the style of scikit-learn's ``parametrize_with_checks``: every registered experiment is put
through the same checks, so a new one is covered by adding its module and nothing else.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

import jacobound as cli
from simulate.experiments import REGISTRY, Experiment, demo_names, register, run_experiment
from simulate.experiments.base import BaseConfig
from simulate.experiments.checks import Check, read_checks, to_json

#: Experiments whose claim has no negative control yet (issue #9 adds them); this set may only
#: shrink, and an experiment with a control must not be listed.
WITHOUT_CONTROL: frozenset[str] = frozenset()


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_experiment_entry_is_complete(name):
    exp = REGISTRY[name]
    assert exp.name == name
    assert exp.description.strip()
    fields = {f.name for f in dataclasses.fields(exp.config)}
    assert {"seed", "device"} <= fields
    assert set(exp.small) <= fields
    # The config's defaults validate (the demo and `jacobound run NAME` use them).
    exp.config()
    # In the demo, or a reason why not.
    assert exp.in_demo or (isinstance(exp.demo, str) and exp.demo.strip())


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_experiment_has_a_negative_control_or_is_listed(name):
    exp = REGISTRY[name]
    assert (exp.negative_control is None) == (name in WITHOUT_CONTROL), name


@pytest.mark.parametrize(
    "name", sorted(n for n, e in REGISTRY.items() if e.negative_control is not None)
)
def test_negative_control_makes_the_named_checks_fail(name, tmp_path):
    exp = REGISTRY[name]
    cfg = {**exp.small, **(exp.negative_control or {}), "device": "cpu"}
    res = run_experiment(name, tmp_path, cfg, progress=False)
    checks = {c.name: c for c in read_checks(res["checks"]) or []}
    assert exp.control_fails <= set(checks), (exp.control_fails, sorted(checks))
    for cname in exp.control_fails:
        assert checks[cname].failed, (cname, checks[cname])


# -- a toy experiment registered at run time ------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ToyConfig(BaseConfig):
    n: int = 4
    structured: bool = True


def _toy_run(cfg: ToyConfig, out: Path, progress: bool) -> dict[str, Any]:
    return {
        "summary": {"n": cfg.n},
        "checks": to_json([Check.single("structure_seen", cfg.structured)]),
    }


def _toy_plot(res: dict[str, Any], out: Path) -> list[str]:
    return []


@pytest.fixture
def toy():
    exp = register(
        Experiment(
            name="toy_runtime",
            description="a toy experiment registered by a test",
            config=ToyConfig,
            run=_toy_run,
            plot=_toy_plot,
            small={"n": 2},
            negative_control={"structured": False},
            control_fails=frozenset({"structure_seen"}),
        )
    )
    yield exp
    REGISTRY.pop(exp.name)


def test_a_registered_toy_is_seen_everywhere(toy, tmp_path, capsys):
    assert cli.main(["list"]) == 0
    assert "toy_runtime" in capsys.readouterr().out
    assert "toy_runtime" in demo_names()
    assert cli.main(["run", "toy_runtime", "--out", str(tmp_path / "run"), "--quiet"]) == 0
    assert "structure_seen: ok" in capsys.readouterr().out
    test_experiment_entry_is_complete("toy_runtime")
    test_negative_control_makes_the_named_checks_fail("toy_runtime", tmp_path / "control")


def test_registry_rejects_incomplete_entries():
    base = dict(name="toy2", description="d", config=ToyConfig, run=_toy_run, plot=_toy_plot)
    with pytest.raises(ValueError, match="unknown keys"):
        Experiment(**base, small={"m": 1})
    with pytest.raises(ValueError, match="demo must be True or a reason"):
        Experiment(**base, small={}, demo=False)
    with pytest.raises(ValueError, match="control_fails"):
        Experiment(**base, small={}, negative_control={"n": 3})
    with pytest.raises(ValueError, match="identifier"):
        Experiment(**{**base, "name": "two words"}, small={})
    with pytest.raises(ValueError, match="already registered"):
        register(dataclasses.replace(REGISTRY["linear"], run=_toy_run))
