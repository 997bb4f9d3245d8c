"""Graded checks of assignment 5 (assignments/a5_unet.md): the U-Net's forward pass, receptive fields.

The U-Net checks build a small U-Net, load parameters the grader drew and
compare your forward's output with the reference's (float32, so with a
tolerance).  They run the convolutions of minigrad too: when those are yours
(a cumulative release), a failing assignment 3 is named in the feedback.
"""
import numpy as np

from minigrad.assign.checks import graded

CONV_TASKS = ('a3_im2col', 'a3_col2im', 'a3_conv_gemm', 'a4_max_unpool')


def _model(**options):
    from minigrad.models.unet import UNet
    return UNet(**options)


def unet_case(x_shape, **options):
    def make(rng):
        arrays = {'x': rng.standard_normal(x_shape).astype(np.float32)}
        for name, p in _model(**options).named_parameters():
            arrays[name] = (0.5 * rng.standard_normal(p.shape)).astype(np.float32)
        return arrays
    return make


def _run(options, x, params):
    import minigrad as mg
    model = _model(**options)
    for name, p in model.named_parameters():
        p.array[...] = params[name]
    with mg.no_grad():
        return {'output': model(mg.tensor(x))}


SAME = dict(in_channels=3, out_channels=2, depth=2, base_width=4)
VALID = dict(in_channels=1, out_channels=2, depth=2, base_width=2, padding='valid')
NO_SKIP = dict(in_channels=2, out_channels=3, depth=2, base_width=4, skip=False)
UNPOOL = dict(in_channels=1, out_channels=2, depth=2, base_width=4, up='unpool')


@graded('a5_unet_forward', points=2, inputs=unet_case((2, 3, 16, 16), **SAME), needs=CONV_TASKS, rtol=1e-4, atol=1e-5)
def unet_same_padding(x, **params):
    """depth 2, 'same' padding, 16x16 input: the output of the whole network."""
    return _run(SAME, x, params)


@graded('a5_unet_forward', inputs=unet_case((1, 3, 13, 10), **SAME), needs=CONV_TASKS, rtol=1e-4, atol=1e-5)
def unet_odd_size(x, **params):
    """'same' padding on 13x10, a size that does not halve evenly (pad_to)."""
    return _run(SAME, x, params)


@graded('a5_unet_forward', inputs=unet_case((1, 1, 44, 44), **VALID), needs=CONV_TASKS, rtol=1e-4, atol=1e-5)
def unet_valid_padding(x, **params):
    """'valid' padding: every 3x3 conv trims the map and the copies are centre-cropped."""
    return _run(VALID, x, params)


@graded('a5_unet_forward', inputs=unet_case((1, 2, 8, 8), **NO_SKIP), needs=CONV_TASKS, rtol=1e-4, atol=1e-5)
def unet_without_skip(x, **params):
    """skip=False: the decoder sees only the up-sampled path."""
    return _run(NO_SKIP, x, params)


@graded('a5_unet_forward', inputs=unet_case((2, 1, 12, 8), **UNPOOL), needs=CONV_TASKS, rtol=1e-4, atol=1e-5)
def unet_unpool_mode(x, **params):
    """up='unpool' hands each level's max-pool indices to its Up block."""
    return _run(UNPOOL, x, params)


# --------------------------------------------------------------- a5_receptive_field
def _table(rows):
    return np.array([[float(r), float(j), float(s)] for r, j, s in rows]).reshape(-1, 3)


def spec_case(rng):
    """A random stack: convs with kernel 1-5, stride 1-2 and dilation 1-2, 2x2 pools in between."""
    return {'kernels': rng.integers(1, 6, 5), 'strides': rng.integers(1, 3, 5), 'dilations': rng.integers(1, 3, 5)}


def _spec(kernels, strides, dilations):
    items = [f'conv{k}s{s}d{d}' for k, s, d in zip(kernels, strides, dilations)]
    return ','.join(items[:2] + ['pool2'] + items[2:])


@graded('a5_receptive_field', points=2, inputs=spec_case)
def recurrence_random_stack(kernels, strides, dilations):
    """recurrence() of a random conv/pool stack: (r, j, start) after every layer."""
    from minigrad.calc.receptive_field import recurrence
    return {f'recurrence({_spec(kernels, strides, dilations)!r})': _table(recurrence(_spec(kernels, strides, dilations)))}


@graded('a5_receptive_field', points=2)
def recurrence_up_and_down():
    """Transposed convs and up-sampling divide the jump: 'conv3x3,pool2,conv3x3,tconv2s2p0,conv3x3,up2'."""
    from minigrad.calc.receptive_field import recurrence
    spec = 'conv3x3,pool2,conv3x3,tconv2s2p0,conv3x3,conv3x3d2,conv4s2p1,up2'
    return {f'recurrence({spec!r})': _table(recurrence(spec))}


@graded('a5_receptive_field', inputs=lambda rng: {'targets': rng.integers(20, 400, 3)})
def layers_to_reach_targets(targets):
    """layers_to_reach(target, 'conv3x3') and (target, 'conv4s2'): (n, r) for three targets."""
    from minigrad.calc.receptive_field import layers_to_reach
    return {f'layers_to_reach({int(t)}, {layer!r})': np.array(layers_to_reach(int(t), layer))
            for t in targets for layer in ('conv3x3', 'conv4s2')}
