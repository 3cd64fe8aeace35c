"""The benchmark suite behind ``python3 benchmarks/run.py``, one module per measurement:

- ``measure``:  interleaved timing (medians) and BLAS/torch thread settings
- ``training``: a training step of RNN/LSTM/GRU in five variants (engine cells, engine layer,
  hand-written NumPy, torch cells, torch fused), all from the same weights
- ``overhead``: per-op cost of the engine against raw NumPy and a minimal autograd, and
  backward time against graph size
- ``memory``:   peak memory of truncated against full BPTT
- ``truncation``: time per sequence and per update of truncated BPTT against full BPTT, beside
  the exact work (graph nodes) of each window
- ``targets``:  the four headline ratios together: a ``train.SequenceModel`` LSTM step against
  hand-written NumPy under two losses, and (reusing ``training`` and ``overhead``) the cell loop,
  the layer and the per-op overhead
- ``report``:   the printed tables and the headline targets

Only the public API of tinygrad_rnn is used.
"""
