"""One training run: its configuration, the epoch loop, checkpoints, and the export."""
