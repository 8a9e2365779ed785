"""The gunicorn side: its settings (conf.py), the master's hooks (master.py) and temp
dirs (tempdirs.py), the last good model (last_good.py), the worker class (workers.py,
which also starts the worker's gRPC server, service/grpc/, after the fork), GRPC_PORT's
hand-over on a HUP (handover.py) and the logging (logs.py).

The rule of this package: the standard library, gunicorn and orjson (for log lines)
only; never numpy, nor the app's libraries. The gunicorn master imports it, and
workers import the app (and numpy) only after they fork, so a HUP re-imports the
app and the master stays small. tests/service/server/test_boundary.py holds it to that.
"""
