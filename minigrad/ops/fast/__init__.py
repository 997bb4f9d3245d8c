"""CPU-tuned twins of the plain kernels: same names, same signatures, same results.

``conv`` (chunked im2col in :mod:`.columns`, shared rows, scratch buffers, GEMM
orientation), ``pool`` (max-pool argmax as a 1-byte tap), ``adam`` (the update
in cache-sized pieces).  :mod:`minigrad.ops.kernels` pairs each with its plain
module; ``MINIGRAD_FAST=0`` runs everything on the plain code.  Why each one
exists, with numbers: docs/performance.md.
"""
