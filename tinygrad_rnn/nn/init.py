"""Weight initialisation (PyTorch's nn.init) — being written."""
