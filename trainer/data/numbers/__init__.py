"""Numbers written from MNIST's training digits, for what /read learns: misreads.py (the
segmenter's own wrong candidates, non-digits for outlier exposure) and touching.py
(touching pairs and non-pairs, the pair network's data)."""
