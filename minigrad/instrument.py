"""Instrumentation of the autograd graph: what it keeps alive, in arrays and bytes.

Used by :func:`minigrad.graph_bytes`, :mod:`minigrad.calc.memory` (measured vs
predicted memory) and the benchmarks; the engine (:mod:`minigrad.function`)
itself keeps no accounts.
"""
from .function import AccumulateGrad, topological_order


def saved_arrays(ctx):
    """Every array a Function's ctx keeps alive: its saved arrays and any array attribute."""
    found = [a for a in ctx.saved if hasattr(a, 'nbytes')]
    for name, value in vars(ctx).items():
        if name != 'saved' and hasattr(value, 'nbytes') and hasattr(value, 'shape'):
            found.append(value)
    return found


def graph_arrays(root):
    """Every array the autograd graph behind ``root`` keeps alive for backward (views by their base)."""
    arrays = {}
    for node in (topological_order(root._node) if root._node is not None else ()):
        if isinstance(node, AccumulateGrad) or node.ctx is None:
            continue
        for a in saved_arrays(node.ctx):
            base = a
            while getattr(base, 'base', None) is not None:
                base = base.base
            arrays.setdefault(id(base), base)
    return list(arrays.values())


def graph_bytes(root):
    """Bytes held by the autograd graph behind ``root`` (views counted once)."""
    return int(sum(a.nbytes for a in graph_arrays(root)))
