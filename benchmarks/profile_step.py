"""Where the time of one training step goes, by op family.

Run:  python -m benchmarks.profile_step [--model unet] [--quick] [--steps 3] [--cprofile 20]

cProfile alone cannot separate a convolution's GEMM from its copies (NumPy's
ufuncs and ``matmul`` run inside the calling Python function's time), so this
script times the step with *exclusive* timers wrapped around:

* every Function's ``forward`` and ``backward`` (by class: Conv2d, ReLU, Cat, …),
* ``numpy.matmul`` (the GEMMs, named after the conv kernel or op that called them),
* the conv kernels' helpers (im2col, col2im, padding, layout copies),
* the optimizer's ``step``.

A timer's own time excludes the timers nested inside it (a Conv2d forward
minus its GEMM and im2col).  A transposed conv's forward IS a conv input
gradient and its backward a conv forward plus a weight gradient (ops/conv.py),
so their GEMMs are counted under those names.  What no timer covers is the autograd engine and
the Python between ops.  The families are then summed and printed in
benchmarks/PROFILE.md's layout.  The timers add a few microseconds per call:
negligible beside a step of hundreds of milliseconds.
"""
import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from collections import defaultdict

if __package__ in (None, ''):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy  # noqa: E402

from minigrad.function import Function  # noqa: E402
from minigrad.ops import conv as conv_ops, im2col as im2col_ops  # noqa: E402
from minigrad.ops.fast import columns as fast_columns, conv as fast_conv  # noqa: E402
from minigrad import optim  # noqa: E402
from benchmarks.cases import MODEL_CASES  # noqa: E402

FAMILIES = {   # Function class name -> family
    'Conv2d': 'conv (outside GEMM and im2col)', 'ConvTranspose2d': 'conv (outside GEMM and im2col)',
    'MaxPool2d': 'pooling / upsampling', 'AvgPool2d': 'pooling / upsampling', 'MaxUnpool2d': 'pooling / upsampling',
    'Interpolate': 'pooling / upsampling',
    'BatchNorm': 'norms', 'InstanceNorm': 'norms',
    'Cat': 'cat / pad / reshape', 'Pad': 'cat / pad / reshape', 'Reshape': 'cat / pad / reshape',
    'Permute': 'cat / pad / reshape', 'GetItem': 'cat / pad / reshape', 'Stack': 'cat / pad / reshape',
    'CrossEntropy': 'loss', 'BinaryCrossEntropyWithLogits': 'loss', 'L1Loss': 'loss', 'MSELoss': 'loss',
    'NLLLoss': 'loss',
}
HELPERS = {'im2col': 'im2col / col2im', 'col2im': 'im2col / col2im', 'pad2d': 'im2col / col2im',
           'padded': 'im2col / col2im',
           'row_columns': 'im2col / col2im',
           'channels_first': 'im2col / col2im', 'flip_swap': 'im2col / col2im',
           'conv_weight_grad': 'conv (outside GEMM and im2col)', 'conv_input_grad': 'conv (outside GEMM and im2col)'}
CONV_GRADS = {'conv_weight_grad': 'conv weight gradient', 'conv_input_grad': 'conv input gradient'}


class Timers:
    """Exclusive wall time per key, with a stack so nested timers are subtracted from their parent."""

    def __init__(self):
        self.total = defaultdict(float)
        self.calls = defaultdict(int)
        self.stack = []   # [key, time of nested timers] per open timer

    def wrap(self, key, fn):
        """``fn`` timed under ``key``; a callable key is called (with the open timers' keys) at each call."""
        def timed(*args, **kwargs):
            k = key([frame[0] for frame in self.stack]) if callable(key) else key
            self.stack.append([k, 0.0])
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                _, nested = self.stack.pop()
                self.total[k] += elapsed - nested
                self.calls[k] += 1
                if self.stack:
                    self.stack[-1][1] += elapsed
        return timed


def gemm_key(open_keys):
    """Name a GEMM after what called it: a conv's weight gradient, input gradient, or forward."""
    for name, phase in reversed(open_keys):
        if name in CONV_GRADS:
            return ('GEMM', CONV_GRADS[name])
        if phase in ('forward', 'backward'):
            return ('GEMM', f"{name} {phase}")
    return ('GEMM', 'other')


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


class instrument:
    """Context manager: install the timers; restore everything on exit."""

    def __init__(self, timers):
        self.timers, self.undo = timers, []

    def _patch(self, owner, name, new):
        self.undo.append((owner, name, owner.__dict__[name]))
        setattr(owner, name, new)

    def __enter__(self):
        t = self.timers
        for cls in set(_subclasses(Function)):
            for phase in ('forward', 'backward'):
                if phase in cls.__dict__:
                    fn = cls.__dict__[phase].__func__
                    self._patch(cls, phase, staticmethod(t.wrap((cls.__name__, phase), fn)))
        self._patch(numpy, 'matmul', t.wrap(gemm_key, numpy.matmul))
        for name in HELPERS:  # patched where it is defined and where the conv kernels imported it
            for module in (im2col_ops, conv_ops, fast_columns, fast_conv):
                if name in vars(module):
                    self._patch(module, name, t.wrap((name, ''), vars(module)[name]))
        self._patch(optim.Optimizer, 'step', t.wrap(('optimizer', 'step'), optim.Optimizer.step))
        return t

    def __exit__(self, *exc):
        for owner, name, old in reversed(self.undo):
            setattr(owner, name, old)


def family_of(key):
    name, phase = key
    if name == 'GEMM':
        if phase in CONV_GRADS.values():
            return f"GEMM: {phase}"
        if phase.startswith(('Conv2d forward', 'ConvTranspose2d forward', 'Conv2d backward',
                             'ConvTranspose2d backward')):
            return 'GEMM: conv forward'
        return 'GEMM: other (linear layers, interpolation)'
    if name in HELPERS:
        return HELPERS[name]
    if name == 'optimizer':
        return 'optimizer (Adam)'
    return FAMILIES.get(name, 'elementwise / activations')


def profile(model='unet', quick=False, steps=3, top=20):
    """Run ``steps`` timed steps (after one warm-up); print the families and a cProfile top list."""
    from benchmarks.run import Device
    runner = MODEL_CASES[model](quick).minigrad(Device('numpy', use_torch=False))
    runner.step()
    timers = Timers()
    start = time.perf_counter()
    with instrument(timers):
        for _ in range(steps):
            runner.step()
    wall = (time.perf_counter() - start) / steps
    families = defaultdict(float)
    for key, seconds in timers.total.items():
        families[family_of(key)] += seconds / steps
    families['autograd engine + Python between ops'] = wall - sum(families.values())
    print(f"{model}: {wall * 1e3:.0f} ms per step (mean of {steps}, instrumented)\n")
    print(f"{'family':44s} {'ms/step':>9s} {'share':>6s}")
    for fam, sec in sorted(families.items(), key=lambda kv: -kv[1]):
        print(f"{fam:44s} {sec * 1e3:9.1f} {sec / wall:6.1%}")
    print(f"\ntop {top} timers (exclusive ms per step, calls per step)")
    for key, sec in sorted(timers.total.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {key[0] + ' ' + key[1]:42s} {sec / steps * 1e3:9.1f} {timers.calls[key] // steps:6d}")
    if top:
        prof = cProfile.Profile()
        prof.enable()
        runner.step()
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats('tottime').print_stats(top)
        print('\ncProfile of one step (tottime: the GEMMs run inside the conv functions)')
        print('\n'.join(line for line in out.getvalue().splitlines() if line.strip()
                        and not line.startswith(('   Ordered', '   List'))))
    return families, wall


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--model', default='unet', choices=list(MODEL_CASES))
    p.add_argument('--quick', action='store_true')
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--cprofile', type=int, default=20, help='rows of the cProfile listing (0: none)')
    args = p.parse_args(argv)
    profile(args.model, args.quick, args.steps, args.cprofile)


if __name__ == '__main__':
    main()
