# `make serve` and `make test` work on a fresh clone: each creates .venv if missing.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
MODEL_OUT ?= models/default

.PHONY: install test lint serve fetch train model bench image constraints clean

# constraints.txt pins the runtime dependencies to the versions the image gets.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]" -c constraints.txt
	touch $@

install: $(STAMP)

lint: install
	$(VENV)/bin/ruff check .

test: lint
	$(PY) -m pytest -q -ra

# Serving needs only the runtime dependencies: a venv of its own, installed with
# progress shown, and then `exec`, so that killing `make serve` stops gunicorn too.
SERVE_VENV ?= .venv-serve
$(SERVE_VENV)/.installed: pyproject.toml constraints.txt
	test -x $(SERVE_VENV)/bin/python || python3 -m venv $(SERVE_VENV)
	@echo "installing the service's runtime dependencies into $(SERVE_VENV)"
	$(SERVE_VENV)/bin/python -m pip install --progress-bar on -e . -c constraints.txt
	touch $@

serve: $(SERVE_VENV)/.installed
	exec env BIND_HOST=$${BIND_HOST:-127.0.0.1} PORT=$(PORT) $(SERVE_VENV)/bin/python -m service

fetch: install
	$(PY) -m trainer fetch

train: fetch
	$(PY) -m trainer train

# Rebuilds the shipped model; the command is the one README.md reports figures for.
model: fetch
	$(PY) -m trainer train --hidden 1024,1024 --optimizer adam --lr 1e-3 --warmup 1 \
		--lr-schedule cosine --epochs 100 --batch-size 128 --augment affine,elastic \
		--seed 1 --out $(MODEL_OUT)

# Measures; never part of `make test`. Writes nothing: copy the tables into
# BENCHMARKS.md and RELIABILITY.md. PyTorch is the training baseline and the serving
# peer; wrk (Debian package `wrk`) is the load generator.
bench: fetch
	$(PY) -m pip install -q torch==2.13.0
	command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk"; exit 1; }
	$(PY) bench/train_vs_torch.py --repeats 3 --epochs 2
	$(PY) bench/train_vs_torch.py --time-to-accuracy --configs default --repeats 2
	$(PY) bench/serve_floor.py --seconds 8 --repeats 3
	$(PY) bench/reliability.py

# The runtime closure of pyproject's dependencies, resolved afresh in a throwaway venv.
constraints:
	rm -rf .constraints-venv && python3 -m venv .constraints-venv
	.constraints-venv/bin/python -m pip install -q .
	{ sed -n '/^#/p' constraints.txt; \
	  .constraints-venv/bin/python -m pip freeze --exclude mnist-mlp-service; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf .constraints-venv build

CONTAINER_ENGINE ?= docker
IMAGE ?= mnist-service
image:
	$(CONTAINER_ENGINE) build $(CONTAINER_BUILD_FLAGS) -t $(IMAGE) .

clean:
	rm -rf $(VENV) $(SERVE_VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
