# syntax=docker/dockerfile:1
# The inference service (gunicorn + Flask) with the shipped model: `docker build .` (the
# last stage). `docker build --target trainer .` builds the trainer's image: the same
# venv plus the train extra (OpenCV for --augment, numba for the fused update), which the
# Kubernetes Job and compose train with. CI builds on a local stand-in for the python
# image, so the base is a build argument.
ARG PYTHON_IMAGE=python:3.12-slim

# ---- builder: a venv at /opt/venv holding the project's wheel and its dependencies ----
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_WARN_SCRIPT_LOCATION=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
# No pip inside the venv: the base image's pip installs into it (--python), which keeps
# about 12 MB of installer out of the runtime image.
RUN python -m venv --without-pip /opt/venv

# Dependencies first, so editing code reuses this layer: requirements.lock (`make lock`)
# holds pyproject's runtime dependencies and all they need, at the versions the tests ran
# against, each with the sha256 of its files. --require-hashes makes pip refuse anything
# unlisted, unpinned or altered. pyproject.toml, which the wheel below needs, comes after,
# so that edits to it which leave the lock alone reuse this layer too.
# The cache mount keeps downloaded wheels across builds without putting them in a layer.
COPY requirements.lock ./
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m pip --python /opt/venv/bin/python install --require-hashes -r requirements.lock
COPY pyproject.toml ./

# README.md stays out: setuptools builds the wheel without it (with a warning), and the
# image needs no docs.
COPY trainer ./trainer
COPY service ./service
# Installed packages' own test suites (numpy's are most of 17 MB) are never run here.
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m pip wheel --no-deps --wheel-dir /tmp/wheels . \
    && python -m pip --python /opt/venv/bin/python install --no-deps /tmp/wheels/*.whl \
    && find /opt/venv -depth -type d -name tests -exec rm -rf {} +

# ---- train-builder: the builder's venv plus the train extra, from requirements-train.lock
# (`make lock`: requirements.lock's versions and OpenCV, numba, llvmlite), hash-checked ----
FROM builder AS train-builder
COPY requirements-train.lock ./
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m pip --python /opt/venv/bin/python install --require-hashes \
       -r requirements-train.lock \
    && find /opt/venv -depth -type d -name tests -exec rm -rf {} +

# ---- base: what both images share, the user and its directories ----
FROM ${PYTHON_IMAGE} AS base
# A fixed numeric uid/gid so Kubernetes' runAsNonRoot can verify it and runAsUser can
# match it. /models and /data exist owned by it so fresh named volumes mounted there
# (compose) start writable by the trainer; /data also holds the SQLite feedback store
# when FEEDBACK_DB is left at the service image's default (compose and Kubernetes set
# PostgreSQL).
RUN groupadd --gid 10001 app \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin app \
    && mkdir -p /models /data \
    && chown 10001:10001 /models /data
WORKDIR /app

# ---- trainer: `docker build --target trainer -t mnist-trainer .` ----
FROM base AS trainer
# numba caches its compiled kernels beside the module, which a read-only root forbids:
# NUMBA_CACHE_DIR points it at /tmp (an emptyDir in Kubernetes). Two BLAS threads: the
# Job asks for two CPUs.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OPENBLAS_NUM_THREADS=2 \
    OMP_NUM_THREADS=2 \
    MNIST_DATA_DIR=/data \
    NUMBA_CACHE_DIR=/tmp/numba-cache
# Hershey's single-stroke fonts: pen letters and symbols for outlier exposure
# (trainer/data/pen/hershey.py), which make model's --outliers draws from.
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends hershey-fonts-data=0.1-1.1 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=train-builder /opt/venv /opt/venv
USER 10001:10001
CMD ["python", "-m", "trainer", "--help"]

# ---- runtime: the base image, the venv (the gunicorn config is in the package) and the model ----
FROM base AS runtime
# One BLAS/OpenMP thread per gunicorn worker: workers are the unit of parallelism, and
# per-worker thread pools would oversubscribe the CPUs the container is given.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1 \
    MKL_NUM_THREADS=1 \
    BIND_HOST=0.0.0.0 \
    PORT=8000 \
    GRPC_PORT=8001 \
    MODEL_DIR=/app/models/default \
    FEEDBACK_DB=sqlite:////data/feedback.db

COPY --from=builder /opt/venv /opt/venv
COPY models/default ./models/default

USER 10001:10001
# HTTP (REST, the page, /metrics) and gRPC (the Open Inference Protocol's, GRPC_PORT).
EXPOSE 8000 8001
STOPSIGNAL SIGTERM
# Slim images have no curl; urlopen raises (exit 1) on a refused connection or a non-2xx.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('PORT', '8000'), timeout=4)"]
# `python -m service` checks every setting, then execs gunicorn with the package's
# service/server/conf.py: it binds ${BIND_HOST}:${PORT} (0.0.0.0:8000 here) and its
# workers ${BIND_HOST}:${GRPC_PORT} (0.0.0.0:8001), drains
# within `docker stop`'s 10 s, and keeps heartbeat files in /dev/shm.
CMD ["python", "-m", "service"]
