"""The learning loop's steps against a real server, for tests/loop/ and
bench/learning/learning_loop.py: read images through /predict, post corrections to /feedback,
fine-tune from the served model, and HUP the master so that it serves the result.

Traffic only ever goes to 127.0.0.1.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import numpy as np

from tests.helpers import ROOT
from tests.helpers.bodies import multipart
from tests.helpers.servers import request

BATCH = 64  # images per /predict request
MNIST_BATCH = 256  # instances per request: the service's MAX_BATCH


def answers(port: int, blobs: list[bytes]) -> list[dict]:
    """/predict?normalize=mnist's prediction ({"label", "is_digit", ...}) for each image."""
    out = []
    for start in range(0, len(blobs), BATCH):
        body, kind = multipart(blobs[start:start + BATCH])
        status, _, raw = request(port, "POST", "/predict?normalize=mnist", body,
                                 headers={"Content-Type": kind}, timeout=60)
        assert status == 200, raw[:300]
        out += json.loads(raw)["predictions"]
    return out


def read_right(port: int, blobs: list[bytes], labels: list[int]) -> tuple[float, float]:
    """(the share whose label is right, the share read right as a user sees it: the
    right label with is_digit true)."""
    said = answers(port, blobs)
    label = np.array([p["label"] for p in said]) == np.array(labels)
    digit = np.array([p["is_digit"] for p in said])
    return float(label.mean()), float((label & digit).mean())


def mnist_accuracy(port: int, images: np.ndarray, labels: np.ndarray) -> float:
    """The served model's accuracy on uint8 (N, 28, 28) images sent as JSON instances."""
    right = 0
    for start in range(0, len(images), MNIST_BATCH):
        chunk = images[start:start + MNIST_BATCH].reshape(-1, 784)
        body = json.dumps({"instances": chunk.tolist()}).encode()
        status, _, raw = request(port, "POST", "/predict", body,
                                 headers={"Content-Type": "application/json"}, timeout=60)
        assert status == 200, raw[:300]
        said = [p["label"] for p in json.loads(raw)["predictions"]]
        right += int(np.count_nonzero(np.array(said) == labels[start:start + MNIST_BATCH]))
    return right / len(images)


def correction(blob: bytes, label: str) -> tuple[bytes, str]:
    """(body, Content-Type) of POST /feedback: the image as field "image", and "label"."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; "
            f"filename=\"digit.png\"\r\nContent-Type: image/png\r\n\r\n").encode() + blob
    body += (f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"label\"\r\n\r\n"
             f"{label}\r\n--{boundary}--\r\n").encode()
    return body, f"multipart/form-data; boundary={boundary}"


def post_corrections(port: int, blobs: list[bytes], labels: list[int]) -> list[int]:
    """POST /feedback?normalize=mnist for each image, each answered 201 with a new id;
    returns the ids."""
    ids = []
    for blob, label in zip(blobs, labels, strict=True):
        body, kind = correction(blob, str(label))
        status, _, raw = request(port, "POST", "/feedback?normalize=mnist", body,
                                 headers={"Content-Type": kind})
        assert status == 201, (status, raw[:300])
        ids.append(json.loads(raw)["id"])
    assert len(set(ids)) == len(blobs)
    return ids


def fine_tune(model_dir, url: str, options: list[str], timeout: float = 3600) -> str:
    """`python -m trainer train --init MODEL_DIR --feedback-db URL ... --out MODEL_DIR`:
    the new model replaces the served one in its atomic swap. Returns the run's stdout
    (the side-by-side table)."""
    argv = [sys.executable, "-m", "trainer", "train", "--init", str(model_dir),
            "--feedback-db", url, *options, "--out", str(model_dir)]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def reload(server, version: str, timeout: float = 300) -> None:
    """SIGHUP the gunicorn master and wait until /model says `version` (a bound, not a
    target: on a 2-core machine shared by a dozen jobs, checking and copying the artifact
    once took the master 74 s)."""
    os.kill(server.proc.pid, signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while served(server) != version:
        assert time.monotonic() < deadline, f"the service never served {version} after HUP"
        time.sleep(0.2)


def served(server) -> str | None:
    """The version /model names; None while it does not answer in time (a crowded
    machine's workers, booting the new model, can take longer than a request's timeout)."""
    try:
        status, _, body = server.get("/model", timeout=20)
    except OSError:
        return None
    return json.loads(body)["version"] if status == 200 else None
