"""Training data: IDX files (idx.py), where to get them (fetch.py, sources.py),
minibatches (batches.py), random distortions of digits (augment.py) and the OpenCV
resampling they use (resample.py), and the non-digits of outlier exposure (outliers.py)."""
