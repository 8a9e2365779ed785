"""`python -m trainer fetch|train|evaluate|export-onnx|augment-preview ...` (trainer/cli/)."""

import sys

from trainer.cli.commands import main

if __name__ == "__main__":
    sys.exit(main())
