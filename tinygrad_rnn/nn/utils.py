"""Gradient clipping (PyTorch's nn.utils) — being written."""
