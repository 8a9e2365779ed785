"""The gunicorn side: its settings (conf.py), the master's hooks (master.py) and temp
dirs (tempdirs.py), the last good model (last_good.py), the worker class (workers.py)
and the logging (logs.py).

The rule of this package: standard library and gunicorn only, never numpy. The
gunicorn master imports it, and workers import the app (and numpy) only after they
fork, so a HUP re-imports the app and the master stays small.
tests/service/test_server.py imports every module here and checks that numpy stays out.
"""
