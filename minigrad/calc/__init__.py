"""Architecture calculators: receptive field, memory, FLOPs, model summary, sliding-window redundancy.

    from minigrad import calc
    calc.receptive_field('conv3x3*100').rf        # 201: the slide's 2n + 1
    calc.layers_to_reach(200, 'conv3x3')          # (100, 201)
    print(calc.memory('conv3x3c200*100', (20, 200, 400, 400), optimizer='sgd'))
    print(calc.summary(model, (1, 3, 256, 256)))  # any minigrad nn Module

Every function takes a minigrad nn Module, a list of :class:`Layer` or a spec
string (``"conv4s2c64,conv4s2c128,conv4c512,conv4c1"``; see ``SPEC_HELP``).
Command line: ``python -m minigrad.calc --help``.  Guide: docs/calc.md.
"""
from .flops import count_flops
from .layers import SPEC_HELP, Layer, conv, parse_spec, pool, tconv, upsample
from .memory import measure, memory
from .receptive_field import (dependency_set, layers_to_reach, receptive_field, receptive_field_paths,
                              recurrence)
from .redundancy import redundancy
from .summary import summary

__all__ = ['Layer', 'conv', 'tconv', 'pool', 'upsample', 'parse_spec', 'SPEC_HELP',
           'receptive_field', 'receptive_field_paths', 'layers_to_reach', 'dependency_set', 'recurrence',
           'memory', 'measure', 'count_flops', 'summary', 'redundancy']
