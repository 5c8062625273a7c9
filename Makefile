# Two commands for a fresh machine: `make demo` and `make test` (each sets up .venv first).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	# torch first, by exact version: the CPU wheel here, the CUDA build where a GPU machine resolves it.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	# rsl-rl-lib lists torchvision, whose PyPI build does not import against the CPU torch 2.13 and would
	# break transformers' imports; nothing in rsl-rl's MLP path or in this project uses it.
	$(PY) -m pip uninstall -y -q torchvision
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	MUJOCO_GL=$${MUJOCO_GL:-egl} $(PY) -m sim.demo "walk then wave" --out out/demo --seed 0

test: setup
	$(PY) -m pytest -q -x --durations=15

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: setup
	$(PY) benchmarks/bench_repr272.py

clean:
	rm -rf $(VENV) out .pytest_cache
