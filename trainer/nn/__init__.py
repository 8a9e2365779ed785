"""The network core: a dense ReLU network, its loss, the optimizers, the LR schedule."""
