"""Multiply-accumulates (MACs) and FLOPs per layer.

Convention (the common one, e.g. in papers' "GFLOPs" tables): one MAC is one
multiplication plus one addition, **FLOPs = 2 · MACs**.  Only layers with
weights are counted; pooling, activations, norms and up-sampling cost O(output
size), negligible beside a conv, and are reported as 0.

=================  =================================================================
Conv2d             N · Ho · Wo · C_out · (C_in / groups) · kH · kW
ConvTranspose2d    N · H · W · C_in · (C_out / groups) · kH · kW  (every *input* pixel
                   scatters a kH x kW kernel to C_out/groups channels)
Linear             (rows of x) · in_features · out_features
=================  =================================================================

A stride-2 transposed conv and the stride-2 conv it undoes have the same MACs
for matching shapes: one is the other's gradient.
"""
import math
from dataclasses import dataclass

from .records import records
from .table import format_table, human_count


def macs_of(rec):
    """MACs of one :class:`~minigrad.calc.modules.Record` (0 for layers without weights)."""
    lay = rec.layer
    if rec.out_shape is None or rec.in_shape is None:
        return 0
    if rec.type == 'Conv2d':
        n, c_out, ho, wo = rec.out_shape
        c_in = rec.in_shape[1]
        return n * ho * wo * c_out * (c_in // lay.groups) * lay.kernel[0] * lay.kernel[1]
    if rec.type == 'ConvTranspose2d':
        n, c_in, h, w = rec.in_shape
        c_out = rec.out_shape[1]
        return n * h * w * c_in * (c_out // lay.groups) * lay.kernel[0] * lay.kernel[1]
    if rec.type == 'Linear':
        out_f, in_f = rec.params[0][1]   # weight (out_features, in_features)
        rows = math.prod(rec.in_shape) // in_f
        return rows * in_f * out_f
    return 0


@dataclass
class FlopRow:
    name: str
    type: str
    out_shape: tuple
    params: int
    macs: int


class FlopsReport(list):
    """Rows of :func:`count_flops`; ``.macs``, ``.flops`` and ``.params`` are the totals."""

    @property
    def macs(self):
        return sum(r.macs for r in self)

    @property
    def flops(self):
        return 2 * self.macs

    @property
    def params(self):
        return sum(r.params for r in self)

    def __str__(self):
        total = self.macs or 1
        rows = [[i + 1, r.name, r.type, 'x'.join(map(str, r.out_shape)), f"{r.params:,}", f"{r.macs:,}",
                 f"{100 * r.macs / total:.1f}%"] for i, r in enumerate(self)]
        text = format_table(['#', 'layer', 'type', 'output shape', 'params', 'MACs', 'share'], rows,
                            'rlllrrr', max_rows=40)
        return (text + f"\ntotal: {self.macs:,} MACs ({human_count(self.macs)}MAC) = "
                f"{self.flops:,} FLOPs ({human_count(self.flops)}FLOP, FLOPs = 2 x MACs); "
                f"{self.params:,} parameters")


def count_flops(model, input_shape, dtype='float32'):
    """MACs per layer of a Module (traced), a Layer list or a spec string on ``input_shape`` (N, C, H, W)."""
    report = FlopsReport()
    seen = set()
    for rec in records(model, input_shape, dtype):
        fresh = [p for p in rec.params if p[0] not in seen]
        seen.update(p[0] for p in rec.params)
        n_params = sum(math.prod(p[1]) for p in fresh)
        report.append(FlopRow(rec.name, rec.type, rec.out_shape or (), n_params, macs_of(rec)))
    return report
