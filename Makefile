# `make serve` and `make test` work on a fresh clone: each creates .venv if missing.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
MODEL_OUT ?= models/default

.PHONY: install test lint serve fetch train model pair bench image lock constraints audit protos clean

# requirements-train.lock pins the runtime dependencies and the train extra to the versions
# the images get. Used as constraints it pins them and checks their hashes;
# --no-require-hashes (pip 26.2) lets the editable project and the dev extras, which have
# no hashes, install too.
$(STAMP): pyproject.toml requirements.lock requirements-train.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=26.2"
	$(PY) -m pip install -q -e ".[dev]" -c requirements-train.lock --no-require-hashes
	touch $@

install: $(STAMP)

lint: install
	$(VENV)/bin/ruff check .

test: lint
	$(PY) -m pytest -q -ra

# Serving needs only the runtime dependencies: a venv of its own, installed with
# progress shown, and then `exec`, so that killing `make serve` stops gunicorn too.
SERVE_VENV ?= .venv-serve
# As in the image: the locked dependencies, hash-checked, then the project alone.
$(SERVE_VENV)/.installed: pyproject.toml requirements.lock
	test -x $(SERVE_VENV)/bin/python || python3 -m venv $(SERVE_VENV)
	@echo "installing the service's runtime dependencies into $(SERVE_VENV)"
	$(SERVE_VENV)/bin/python -m pip install --progress-bar on --require-hashes -r requirements.lock
	$(SERVE_VENV)/bin/python -m pip install --progress-bar on --no-deps -e .
	touch $@

serve: $(SERVE_VENV)/.installed
	exec env BIND_HOST=$${BIND_HOST:-127.0.0.1} PORT=$(PORT) $(SERVE_VENV)/bin/python -m service

fetch: install
	$(PY) -m trainer fetch

train: fetch
	$(PY) -m trainer train

# Rebuilds the shipped model; the command is the one MODEL_CARD.md reports figures for.
# --val-split, --outliers, --outlier-weight and --refuse are the trust work's: outlier
# exposure (the trainer's non-digits, pen letters and doodles among them), and the
# is_digit rule and temperature chosen on held-out data. stroke, blur and lowres draw
# digits as they really come (thin and thick pens, out of focus, at low resolution);
# the affine ranges are the wider defaults, for digits turned by 25 degrees.
model: fetch
	$(PY) -m trainer train --hidden 1024,1024 --optimizer adam --lr 2e-3 --warmup 1 \
		--lr-schedule cosine --epochs 60 --batch-size 128 \
		--augment affine,elastic,stroke,blur,lowres \
		--val-split 0.1 --outliers 0.5 --outlier-weight 1.0 --refuse 0.008 \
		--seed 1 --out $(MODEL_OUT)
	$(MAKE) pair

# The pair network (/read: two touching digits read as a pair), trained apart from the
# digit network and attached to $(MODEL_OUT) beside it; the number's confidence is
# calibrated with both. After retraining the digit network alone, attach the old pair
# network again without training: python -m trainer pair --model DIR --from OLD_DIR.
pair: fetch
	$(PY) -m trainer pair --model $(MODEL_OUT) --pairs 200000 --validation 5000 --epochs 12 \
		--hidden 512 --seed 0

# Measures; never part of `make test`. Writes nothing: copy the tables into
# BENCHMARKS.md and RELIABILITY.md. PyTorch is the training baseline and the serving
# peer; wrk (Debian package `wrk`) is the load generator.
bench: fetch
	$(PY) -m pip install -q torch==2.13.0
	command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk"; exit 1; }
	$(PY) bench/train_vs_torch.py --repeats 3 --epochs 3 --configs default,distorted,shipped
	$(PY) bench/train_vs_torch.py --update --repeats 5 --configs default,shipped
	$(PY) bench/train_vs_torch.py --time-to-accuracy --configs default --repeats 2
	$(PY) bench/serve_floor.py --seconds 8 --repeats 3
	$(PY) bench/protocols/grpc_vs_rest.py --seconds 5 --repeats 3
	$(PY) bench/reliability.py
	$(PY) bench/overload/overload.py --seconds 8
	$(PY) bench/feedback/cost.py --seconds 10 --repeats 3
	$(PY) bench/feedback/cost.py --cpu
	$(PY) bench/learning/learning_loop.py
	SOAK_SECONDS=60 $(PY) -m pytest -q -s -p no:randomly tests/service/server/test_soak.py

# requirements.lock: the runtime closure of pyproject's dependencies, each pinned with the
# sha256 of every file it has on PyPI, resolved by uv (from a throwaway venv). Versions
# already locked stay while pyproject allows them; `make lock UPGRADE=1` takes the newest.
# Resolved for Linux and requires-python's floor, so the one lock installs on every supported
# Python (the dev venv's 3.11 and the image's 3.12 alike). `constraints` is the old name.
# requirements-train.lock adds the train extra (OpenCV, numba) for the trainer image, the
# runtime's versions held by requirements.lock.
UV_VERSION ?= 0.13.9
LOCK_PYTHON ?= 3.11
lock:
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && python3 -m venv "$$tmp" \
	&& "$$tmp/bin/python" -m pip install -q "uv==$(UV_VERSION)" \
	&& "$$tmp/bin/uv" pip compile pyproject.toml --quiet --generate-hashes \
		--python-version $(LOCK_PYTHON) --python-platform linux \
		--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) -o requirements.lock \
	&& "$$tmp/bin/uv" pip compile pyproject.toml --extra train -c requirements.lock --quiet \
		--generate-hashes --python-version $(LOCK_PYTHON) --python-platform linux \
		--custom-compile-command "make lock" -o requirements-train.lock

constraints: lock

# service/grpc/open_inference_grpc.binpb: the Open Inference Protocol's .proto compiled by
# protoc into a descriptor set, committed; service/grpc/protocol.py builds the messages from
# it in a pool of its own (tritonclient's identical names in the default pool would clash).
# grpcio-tools runs in a throwaway venv: it needs a grpcio as new as itself, above the
# ceiling tritonclient[grpc] puts on the dev venv's. Its protoc's version makes no difference
# to the descriptor set.
GRPC_TOOLS_VERSION ?= 1.81.1
protos:
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && python3 -m venv "$$tmp" \
	&& "$$tmp/bin/python" -m pip install -q "grpcio-tools==$(GRPC_TOOLS_VERSION)" \
	&& cd service/grpc && "$$tmp/bin/python" -m grpc_tools.protoc --proto_path=. \
		--descriptor_set_out=open_inference_grpc.binpb open_inference_grpc.proto \
	&& "$$tmp/bin/python" -m grpc_tools.protoc --proto_path=. \
		--descriptor_set_out=health.binpb health.proto

# Looks the locked versions up in PyPI's vulnerability data (needs the internet: CI
# cannot reach it, so `make test` does not run this). --disable-pip: the lock is the
# whole closure, pinned and hashed, so nothing is resolved or installed. --strict: a
# package that could not be looked up fails the audit, which would otherwise report
# "No known vulnerabilities found" having checked nothing.
audit:
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && python3 -m venv "$$tmp" \
	&& "$$tmp/bin/python" -m pip install -q pip-audit \
	&& "$$tmp/bin/pip-audit" --strict --disable-pip -r requirements.lock

CONTAINER_ENGINE ?= docker
IMAGE ?= mnist-service
image:
	$(CONTAINER_ENGINE) build $(CONTAINER_BUILD_FLAGS) -t $(IMAGE) .

clean:
	rm -rf $(VENV) $(SERVE_VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
