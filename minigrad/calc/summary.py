"""``summary(model, input_shape)``: a torchinfo-like table of a model.

One row per leaf layer, in call order: output shape, parameters, MACs,
activation memory (the output's bytes; 0 when the output is an array seen
before, as Identity returns its input) and receptive field.  The RF column
follows the *chain* of layers in call order -- exact for a single-path net;
for a U-Net the chain in call order is the path through the bottleneck, i.e.
the largest field (use :func:`~minigrad.calc.receptive_field_paths` for every
path).  After a Linear/Flatten every output sees the whole input ("all").
"""
from .flops import macs_of
from .receptive_field import AxisState
from .records import check_shape, nbytes, records
from .table import format_table, human_bytes, human_count, pair_str


class Summary(list):
    """Rows (dicts) of :func:`summary`; ``str()`` gives the table and totals."""
    input_shape = None
    dtype = None

    def total(self, key):
        return sum(r[key] for r in self)

    def __str__(self):
        head = ['layer', 'type', 'output shape', 'params', 'MACs', 'activation', 'RF']
        rows = [[r['name'], r['type'], r['shape'], f"{r['params']:,}", f"{r['macs']:,}",
                 human_bytes(r['activation']).split(' = ')[-1], r['rf']] for r in self]
        text = format_table(head, rows, 'lllrrrr', max_rows=60)
        act, params = self.total('activation'), self.total('param_bytes')
        lines = [f"input: {'x'.join(map(str, self.input_shape))} ({self.dtype})",
                 f"parameters: {self.total('params'):,} ({self.total('trainable'):,} trainable) = "
                 f"{human_bytes(params)}",
                 f"MACs: {self.total('macs'):,} ({human_count(self.total('macs'))}MAC; FLOPs = 2 x MACs)",
                 f"activations (all layer outputs, whole batch): {human_bytes(act)}"]
        return text + '\n' + '\n'.join(lines)


def summary(model, input_shape, dtype='float32'):
    """Table of a Module (traced on zeros), a Layer list or a spec string on ``input_shape`` (N, C, H, W)."""
    out = Summary()
    out.input_shape = check_shape(input_shape)
    out.dtype = str(dtype)
    states, rf_state = [AxisState(), AxisState()], 'ok'
    seen, arrays = set(), set()
    for rec in records(model, out.input_shape, dtype):
        fresh_output = bool(rec.outputs) and rec.outputs[0][0] not in arrays
        arrays.update(k for k, _, _ in rec.outputs + rec.inputs)
        fresh = [p for p in rec.params if p[0] not in seen]
        seen.update(p[0] for p in rec.params)
        lay = rec.layer
        if rf_state == 'ok':
            if lay is None:
                rf_state = '?'
            elif lay.kind == 'global':
                rf_state = 'all'
            else:
                try:
                    for a in range(2):
                        states[a].add(lay.axis(a))
                except ValueError:      # beyond the exact calculation's bounds
                    rf_state = '?'

        if rf_state == 'ok':
            spans = [s.spans() for s in states]
            lo, hi = tuple(min(s) for s in spans), tuple(max(s) for s in spans)
            rf = pair_str(hi) if lo == hi else f"{pair_str(lo)}..{pair_str(hi)}"
        else:
            rf = rf_state
        out.append(dict(name=rec.name, type=rec.type,
                        shape='x'.join(map(str, rec.out_shape)) if rec.out_shape else '-',
                        params=int(sum(_numel(p[1]) for p in fresh)),
                        trainable=int(sum(_numel(p[1]) for p in fresh if p[3])),
                        param_bytes=int(sum(nbytes(p[1], p[2]) for p in fresh)),
                        macs=macs_of(rec),
                        activation=nbytes(rec.out_shape, rec.outputs[0][2]) if fresh_output else 0, rf=rf))
    return out


def _numel(shape):
    n = 1
    for s in shape:
        n *= int(s)
    return n
