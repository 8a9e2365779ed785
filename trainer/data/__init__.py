"""Training data: IDX files (idx.py), where to get them (fetch.py, sources.py),
minibatches (batches.py) and random distortions of digits (augment.py)."""
