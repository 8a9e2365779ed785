"""gunicorn settings: `gunicorn -c service/server/conf.py "service:create_app()"`.

The environment variables are service/settings.py's; what the master does on
start, HUP and exit is master.py's. Command-line flags and GUNICORN_CMD_ARGS
override what is set here.
"""

import os

from service import settings
from service.server import logs, master

try:
    _server = settings.server()
    settings.resolve(settings.APP)  # the app's settings too: a bad one stops the start here
except settings.SettingError as e:
    raise SystemExit(f"mnist-service: {e}") from e
master.prepare_environment()

_host = _server["BIND_HOST"]
bind = [f"[{_host}]:{_server['PORT']}" if ":" in _host else f"{_host}:{_server['PORT']}"]
workers = _server["WEB_CONCURRENCY"]
# A greenlet per connection: slow or idle clients cost no thread (workers.py).
worker_class = "service.server.workers.GeventWorker"
worker_connections = _server["WORKER_CONNECTIONS"]
timeout = 30  # a worker silent this long is killed and replaced
graceful_timeout = settings.GRACEFUL_TIMEOUT  # drain, then exit 0
keepalive = 5  # also the most a request's headers may take to arrive, whole
# Recycle workers now and then (bounded memory growth), staggered.
max_requests = 10000
max_requests_jitter = 1000
if os.path.isdir(settings.HEARTBEAT_DIR):
    worker_tmp_dir = settings.HEARTBEAT_DIR
preload_app = False  # workers import the app (and numpy); a HUP re-imports it
# gunicorn >= 25 opens a control socket at a fixed path under $HOME by default: two
# servers on one host would collide, and the container's file system is read-only.
control_socket_disable = True
loglevel = _server["LOG_LEVEL"].lower()
accesslog = None  # the app logs each request with its request id
logger_class = logs.Logger
logconfig_dict = logs.config(_server["LOG_LEVEL"])

on_starting = master.on_starting
on_reload = master.on_reload
child_exit = master.child_exit
on_exit = master.on_exit
