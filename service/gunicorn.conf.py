# ruff: noqa: N999 - gunicorn looks for this file name; it is not imported as a module
"""gunicorn settings: `gunicorn -c service/gunicorn.conf.py "service:create_app()"`.

The environment variables are service/settings.py's; what the master does on
start, HUP and exit is service/master.py's. Command-line flags and
GUNICORN_CMD_ARGS override what is set here.
"""

import os

from service import master, settings

try:
    _server = settings.server()
    settings.resolve(settings.APP)  # the app's settings too: a bad one stops the start here
except settings.SettingError as e:
    raise SystemExit(f"mnist-service: {e}") from e
master.prepare_environment()

_host = _server["BIND_HOST"]
bind = [f"[{_host}]:{_server['PORT']}" if ":" in _host else f"{_host}:{_server['PORT']}"]
workers = _server["WEB_CONCURRENCY"]
# Threads hold kept-alive and slow connections without blocking a worker's other
# requests, and let requests that arrive together share one forward pass.
worker_class = "service.workers.ThreadWorker"  # gthread; see service/workers.py
threads = _server["THREADS"]
timeout = 30  # a worker silent this long is killed and replaced
graceful_timeout = 8  # below a container engine's 10 s stop timeout: drain, then exit 0
keepalive = 5
# Recycle workers now and then (bounded memory growth), staggered.
max_requests = 10000
max_requests_jitter = 1000
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # a disk-backed /tmp can stall the heartbeat writes
preload_app = False  # workers import the app (and numpy); a HUP re-imports it
# gunicorn >= 25 opens a control socket at a fixed path under $HOME by default: two
# servers on one host would collide, and the container's file system is read-only.
control_socket_disable = True
loglevel = _server["LOG_LEVEL"].lower()
accesslog = None  # the app logs each request with its request id
logconfig_dict = master.log_config(_server["LOG_LEVEL"])

on_starting = master.on_starting
when_ready = master.when_ready
on_reload = master.on_reload
child_exit = master.child_exit
on_exit = master.on_exit
