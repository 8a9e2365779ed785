"""One module per schema version, oldest first (v001_feedback.py: the first)."""
