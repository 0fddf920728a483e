# `make test` and `make demo` install the locked set (requirements/lock.txt: the exact versions the
# test suite passed on) into .venv, so every fresh machine runs the same code. pyproject.toml keeps
# its ranges for library users; `make test-latest` runs the suite on the newest versions those
# ranges allow, and `make lock` rewrites the lock from such a run once it has passed.
PY ?= python3
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements/lock.txt
LATEST := .venv-latest
OUT ?= runs/demo
# torch comes from the lock (one place for its version) and is installed first, on its own:
#  - from TORCH_INDEX when given (a CUDA build on a GPU machine: see README);
#  - else a wheel that pip's find-links offer without an index (the CPU wheel on this project's
#    machines), taken with --no-deps because the lock brings its dependencies;
#  - else from PyPI, but only where that is not a multi-GB CUDA build that a CPU-only Linux machine
#    cannot use: there we stop and say what to pass.
# The lock's `torch==X` is then met by whichever build is installed (a local label such as +cpu
# matches ==X), so pip leaves it alone.
TORCH_REQ := $(shell grep -E '^torch==' $(LOCK))
TORCH_INDEX ?=

define install_torch
	@echo "$(TORCH_REQ) into $(1) $(if $(TORCH_INDEX),from $(TORCH_INDEX),(local wheel, else PyPI where that is not CUDA on a CPU-only Linux))"
	@if [ -n "$(TORCH_INDEX)" ]; then \
	  $(1) -m pip install -q --index-url "$(TORCH_INDEX)" "$(TORCH_REQ)"; \
	elif $(1) -m pip install -q --no-index --no-deps "$(TORCH_REQ)" 2>/dev/null; then :; \
	elif [ "$$(uname -s)" = Linux ] && ! command -v nvidia-smi >/dev/null 2>&1; then \
	  echo "No local CPU wheel of $(TORCH_REQ), and PyPI's Linux build of it is CUDA (several GB)." >&2; \
	  echo "Pass the CPU wheel index from pytorch.org: make $(or $(MAKECMDGOALS),test) TORCH_INDEX=<url> (see README)." >&2; \
	  exit 1; \
	else \
	  $(1) -m pip install -q "$(TORCH_REQ)"; \
	fi
endef

.PHONY: demo test lint bench test-latest lock clean

# The project itself goes in with nothing resolved: its dependencies and build tools are in the lock.
$(STAMP): $(LOCK) pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(call install_torch,$(BIN)/python)
	$(BIN)/python -m pip install -q -r $(LOCK)
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	@$(BIN)/python -m pip freeze --all --exclude-editable | sed -E 's/^(torch==[^+]*)\+.*/\1/' \
	  | diff -q - <(grep -v '^#' $(LOCK)) >/dev/null \
	  || echo "note: $(VENV) holds packages beyond $(LOCK); 'make clean' gives the exact set"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/jacobound demo --out $(OUT)

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy bounds simulate jacobound.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all --write benchmarks/README.md

# A new venv each time, so that it gets today's newest versions within pyproject.toml's ranges
# (torch held at the lock's version: its newest release is a CUDA build).
test-latest:
	rm -rf $(LATEST)
	$(PY) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install -q --upgrade pip setuptools wheel
	$(call install_torch,$(LATEST)/bin/python)
	$(LATEST)/bin/python -m pip install -q "$(TORCH_REQ)" -e ".[test,dev]"
	$(LATEST)/bin/python -m pip check
	$(LATEST)/bin/python -m pytest -q

# Only a set that has just passed the suite becomes the lock (pip, setuptools and wheel included:
# they build the editable install without build isolation).
lock: test-latest
	{ echo "# Written by 'make lock' from a venv that passed the test suite; do not edit by hand."; \
	  $(LATEST)/bin/python -m pip freeze --all --exclude-editable \
	  | sed -E 's/^(torch==[^+]*)\+.*/\1/'; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	@echo "$(LOCK) rewritten; review with: git diff $(LOCK)"

clean:
	rm -rf $(VENV) $(LATEST) runs .pytest_cache .hypothesis
