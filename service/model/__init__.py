"""The model, KServe style: `Predictor.load()` verifies the artifact and sets ready;
`current()` is the served model (trainer.artifact.store.Model), whose `predict` is
the trainer's own forward pass. shared_weights.py maps one copy of the weights for
all workers; verify.py runs the same checks in a process of its own for the master.
"""
