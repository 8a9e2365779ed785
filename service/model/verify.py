"""`python -m service.model.verify DIR`: the workers' full check of an artifact, in a process
of its own, for the gunicorn master, which does not import numpy itself.

Exit status 0 when DIR would load and serve; otherwise 1, with the reason (what is
wrong and where) as the one line on stderr.
"""

import sys

from service.model.predictor import verified
from trainer.artifact.integrity import ArtifactError


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m service.model.verify MODEL_DIR", file=sys.stderr)
        return 2
    try:
        verified(argv[0])
    except ArtifactError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
