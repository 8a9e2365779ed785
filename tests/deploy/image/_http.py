"""HTTP to a container on 127.0.0.1 (the only address these tests ever contact)."""

import contextlib
import io
import json
import socket
import threading
import time
import urllib.request
import uuid

import numpy as np
import pytest
from PIL import Image


def fetch(port: int, path: str, body: bytes | None = None, headers=None, timeout=30):
    """(status, body bytes) of one request to 127.0.0.1:port."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body,
                                 headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read()


def get_json(port: int, path: str, body: bytes | None = None, headers=None, timeout=30):
    """(status, parsed JSON) of one request to 127.0.0.1:port."""
    status, raw = fetch(port, path, body, headers, timeout)
    return status, json.loads(raw)


def png_upload(pixels: np.ndarray) -> tuple[bytes, dict]:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; "
            f"filename=\"digit.png\"\r\nContent-Type: image/png\r\n\r\n").encode()
    body += buf.getvalue() + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def request_across_stop(engine, name: str, port: int, images: np.ndarray):
    """POST half a /predict body, `ENGINE stop -t 10` the container, wait until gunicorn
    logs the SIGTERM, send the rest; returns (status, JSON) of that in-flight request."""
    payload = json.dumps({"instances": images.reshape(len(images), -1).tolist()}).encode()
    head = (f"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
            f"\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode()
    half = len(payload) // 2
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + payload[:half])
        time.sleep(0.5)  # let a worker thread take the request and block reading the body
        stopper = threading.Thread(target=engine, args=("stop", "-t", "10", name),
                                   kwargs={"timeout": 60})
        stopper.start()
        try:
            deadline = time.monotonic() + 10
            while "Handling signal: term" not in _logs(engine, name):
                assert time.monotonic() < deadline, "gunicorn never logged the SIGTERM"
                time.sleep(0.2)
            response = b""
            with contextlib.suppress(ConnectionError):  # a dropped request: reported below
                sock.sendall(payload[half:])
                while chunk := sock.recv(65536):
                    response += chunk
        finally:
            stopper.join(timeout=60)
    if not response:
        pytest.fail("the connection closed with no response: SIGTERM dropped the in-flight "
                    "request instead of draining it (gunicorn --graceful-timeout)")
    head, _, body = response.partition(b"\r\n\r\n")
    assert b"chunked" not in head.lower(), head
    return int(head.split()[1]), json.loads(body)


def _logs(engine, name: str) -> str:
    proc = engine("logs", name, check=False)
    return proc.stdout + proc.stderr
