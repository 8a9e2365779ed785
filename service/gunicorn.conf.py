# ruff: noqa: N999 - gunicorn looks for this file name; it is not imported as a module
"""gunicorn settings: `gunicorn -c service/gunicorn.conf.py "service:create_app()"`.

The environment variables are service/settings.py's; what the master does on
start, HUP and exit is service/master.py's. Command-line flags and
GUNICORN_CMD_ARGS override what is set here.
"""

import os

from service import gunicorn_logs, master, settings

try:
    _server = settings.server()
    settings.resolve(settings.APP)  # the app's settings too: a bad one stops the start here
except settings.SettingError as e:
    raise SystemExit(f"mnist-service: {e}") from e
master.prepare_environment()

_host = _server["BIND_HOST"]
bind = [f"[{_host}]:{_server['PORT']}" if ":" in _host else f"{_host}:{_server['PORT']}"]
workers = _server["WEB_CONCURRENCY"]
# A greenlet per connection: slow or idle clients cost no thread (service/workers.py).
worker_class = "service.workers.GeventWorker"
worker_connections = _server["WORKER_CONNECTIONS"]
timeout = 30  # a worker silent this long is killed and replaced
graceful_timeout = 8  # below a container engine's 10 s stop timeout: drain, then exit 0
keepalive = 5  # also the most a request's headers may take to arrive, whole
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
logger_class = gunicorn_logs.Logger
logconfig_dict = gunicorn_logs.config(_server["LOG_LEVEL"])

on_starting = master.on_starting
on_reload = master.on_reload
child_exit = master.child_exit
on_exit = master.on_exit
