"""A thin, bounded wrapper around the container engine named by the environment.

CONTAINER_ENGINE (default `docker`), CONTAINER_BUILD_FLAGS and CONTAINER_RUN_FLAGS are
split with shlex, as ../shared/tools/container-env.sh prints them. Every call has a
timeout; every container started here gets a unique name and is removed in `finally`.
"""

import contextlib
import json
import os
import shlex
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.helpers.servers import free_port


def _split(var: str, default: str = "") -> list[str]:
    return shlex.split(os.environ.get(var, default))


class Engine:
    def __init__(self):
        self.cmd = _split("CONTAINER_ENGINE", "docker") or ["docker"]
        self.build_flags = _split("CONTAINER_BUILD_FLAGS")
        self.run_flags = _split("CONTAINER_RUN_FLAGS")
        self.is_podman = Path(self.cmd[0]).name == "podman"

    def __call__(self, *args, timeout: float = 60, check: bool = True):
        """Run `ENGINE args...`; CompletedProcess with text output."""
        proc = subprocess.run([*self.cmd, *args], capture_output=True, text=True,
                              timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"`{shlex.join([*self.cmd, *args])[:300]}` exited "
                                 f"{proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
        return proc

    def problem(self) -> str | None:
        """Why this engine cannot run containers here, or None when it can."""
        try:
            proc = self("info", timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"`{shlex.join(self.cmd)} info` failed: {e}"
        if proc.returncode != 0:
            return (f"`{shlex.join(self.cmd)} info` exited {proc.returncode}: "
                    f"{proc.stderr.strip()[-300:]}")
        return None

    def build(self, context: Path, tag: str, timeout: float = 900, target: str = "") -> None:
        """`build -t tag context`, of the Dockerfile's stage `target` when given."""
        flags = list(self.build_flags) + ([f"--target={target}"] if target else [])
        # Podman's default OCI image format has no HEALTHCHECK; the docker format keeps it.
        if self.is_podman and not any(f.startswith("--format") for f in flags):
            flags.append("--format=docker")
        self("build", *flags, "-t", tag, str(context), timeout=timeout)

    def publish_flags(self, *ports: int) -> list[str]:
        """Host networking shares the loopback already; otherwise publish on 127.0.0.1."""
        flags = " ".join(self.run_flags)
        if any(h in flags for h in ("--network=host", "--network host", "--net=host")):
            return []
        return [flag for port in ports for flag in ("-p", f"127.0.0.1:{port}:{port}")]

    def image_healthcheck(self, image: str) -> list[str]:
        """The image's HEALTHCHECK test, e.g. ["CMD", "python", "-c", ...]."""
        info = json.loads(self("image", "inspect", image).stdout)[0]
        health = info.get("Healthcheck") or (info.get("Config") or {}).get("Healthcheck")
        assert health and health.get("Test"), f"image {image} has no HEALTHCHECK: {health}"
        return health["Test"]

    def remove(self, name: str) -> None:
        """Force-remove a container, at once (podman would wait its stop timeout)."""
        quick = ["-t", "0"] if self.is_podman else []
        self("rm", "-f", *quick, name, timeout=60, check=False)

    def state(self, name: str) -> dict:
        return json.loads(self("inspect", "--type", "container", name).stdout)[0]["State"]


@contextlib.contextmanager
def container(engine: Engine, image: str, *args: str, port: int, grpc_port: int | None = None,
              env=None, volumes=(), flags=()):
    """Start `image` detached with PORT=`port` and GRPC_PORT=`grpc_port` (a free one if not
    given: with host networking the image's 8001 may be taken), and extra run `flags`;
    yields its name; always removes it."""
    name = f"mnist-test-{uuid.uuid4().hex[:12]}"
    grpc_port = grpc_port or free_port()
    flags = ["--name", name, *engine.run_flags, *engine.publish_flags(port, grpc_port),
             "-e", f"PORT={port}", "-e", f"GRPC_PORT={grpc_port}", *flags]
    for key, value in (env or {}).items():
        flags += ["-e", f"{key}={value}"]
    for volume in volumes:
        flags += ["-v", volume]
    try:
        engine("run", "-d", *flags, image, *args, timeout=120)
        yield name
    finally:
        engine.remove(name)


def wait_healthy(engine: Engine, name: str, image: str, timeout: float = 90) -> None:
    """Run the image's own HEALTHCHECK command until it passes (bounded)."""
    test = engine.image_healthcheck(image)
    if engine.is_podman:
        argv = ["healthcheck", "run", name]
    elif test[0] == "CMD-SHELL":
        argv = ["exec", name, "sh", "-c", test[1]]
    else:
        argv = ["exec", name, *test[1:]]
    deadline = time.monotonic() + timeout
    while True:
        proc = engine(*argv, timeout=30, check=False)
        if proc.returncode == 0:
            return
        state = engine.state(name)
        if not state.get("Running"):
            logs = engine("logs", name, check=False)
            pytest.fail(f"container {name} exited ({state.get('ExitCode')}) before it was "
                        f"healthy:\n{logs.stdout[-3000:]}\n{logs.stderr[-3000:]}")
        if time.monotonic() > deadline:
            logs = engine("logs", name, check=False)
            pytest.fail(f"container {name} not healthy after {timeout}s: {proc.stdout} "
                        f"{proc.stderr[-500:]}\n{logs.stdout[-3000:]}\n{logs.stderr[-3000:]}")
        time.sleep(1)
