# Each target creates .venv on a fresh machine. torch is pinned to the CPU wheel only here:
# pyproject.toml stays loose (torch>=2.2).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_PIN ?= torch==2.13.0
OUT ?= runs/demo

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "$(TORCH_PIN)"
	$(BIN)/pip install -q -e ".[test,dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/jacobound demo --out $(OUT)

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy bounds simulate

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all --write benchmarks/README.md

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
