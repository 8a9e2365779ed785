"""`python -m service [gunicorn flags]`: check every setting, then become gunicorn.

gunicorn reads WEB_CONCURRENCY with a bare int() when it is imported, so a bad
value would crash it with a traceback before its config file runs. Checking here
first names the variable and the fix; then this process execs gunicorn, so a
signal to it (Ctrl-C, SIGTERM, a kill of `make serve`) reaches gunicorn itself.
"""

import os
import sys
from pathlib import Path

from service import settings

CONF = Path(__file__).resolve().parent / "server" / "conf.py"


def main(argv: list[str]) -> None:
    try:
        settings.server()
        settings.resolve(settings.APP)
    except settings.SettingError as e:
        raise SystemExit(f"mnist-service: {e}") from e
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "-c", str(CONF), *argv,
                              "service:create_app()"])


if __name__ == "__main__":
    main(sys.argv[1:])
