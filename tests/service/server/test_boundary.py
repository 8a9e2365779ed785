"""service/server/ never imports numpy nor the app's libraries: the rule its docstring states."""

import pkgutil
import subprocess
import sys

import service.server
from tests.helpers import ROOT
from tests.helpers.servers import CONF

# What the gunicorn master must never load: numpy (and what imports it), and the app's
# own libraries (gRPC's too: it must not be loaded before a fork), which workers import
# after they fork.
FORBIDDEN = ("numpy", "PIL", "flask", "werkzeug", "scipy", "cv2", "grpc", "google.protobuf")


def test_the_server_package_imports_no_numpy_nor_the_apps_libraries():
    modules = [f"service.server.{m.name}" for m in pkgutil.iter_modules(service.server.__path__)]
    assert "service.server.master" in modules
    script = ("import importlib, runpy, sys\n"
              f"runpy.run_path({str(CONF)!r})\n"
              f"for name in {modules!r}: importlib.import_module(name)\n"
              f"print(sorted(m for m in {FORBIDDEN!r} if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]", out.stdout
