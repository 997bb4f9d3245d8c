"""The assignments and their tasks: the one table the release tool and the grader share.

A *task* is named by a tag ``aN_<what>`` (N = the assignment's number).  The
same tag appears in three places:

* the source: ``# BEGIN SOLUTION aN_<what>`` … ``# END SOLUTION`` around the
  real implementation (see :mod:`minigrad.assign.markers`);
* the tests: ``@pytest.mark.aN_<what>`` on each graded test in
  ``tests/assignments/test_aN_<name>.py`` (and ``tests/assignments/hidden/``);
* here, with the sentence that the student copy's
  ``raise NotImplementedError("aN_<what>: <sentence>")`` carries.

This module uses the standard library only: the grader imports it without
importing minigrad itself (a student's copy may not import at all).
"""
import re
from dataclasses import dataclass

TAG_RE = re.compile(r'^a(?P<number>[1-9][0-9]*)_[a-z0-9_]+$')


@dataclass(frozen=True)
class Task:
    tag: str          # 'a2_conv_backward'
    todo: str         # what to implement, shown in the stub's NotImplementedError


@dataclass(frozen=True)
class Assignment:
    number: int
    name: str         # short name: handout assignments/a<N>_<name>.md, tests test_a<N>_<name>.py
    title: str
    tasks: tuple
    #: files that solve the tasks outside solution blocks (the CPU-tuned and CUDA twins of the
    #: kernels the students write): left out of a student copy; the plain kernels run instead
    solved_elsewhere: tuple = ()

    @property
    def slug(self):
        return f'a{self.number}_{self.name}'

    @property
    def handout(self):
        return f'assignments/{self.slug}.md'


ASSIGNMENTS = (
    Assignment(1, 'autograd', 'Backward passes by hand', (
        Task('a1_mul_backward', 'Mul.backward: return dL/da and dL/db'),
        Task('a1_matmul_backward', 'MatMul.backward: compute ga = dL/da and gb = dL/db'),
        Task('a1_sum_backward', 'Sum.backward: spread the gradient back over the summed axes'),
        Task('a1_unbroadcast', 'unbroadcast: sum the gradient over the axes that broadcasting added or '
                               'stretched'),
        Task('a1_relu_backward', 'ReLU.backward: return dL/da'),
    )),
    Assignment(2, 'conv_naive', 'Convolution with loops: forward and backward', (
        Task('a2_conv_forward', 'conv2d_forward: loop over groups, output pixels and kernel offsets'),
        Task('a2_conv_backward', 'conv2d_backward: accumulate dL/dx and dL/dweight in the same loops, '
                                 'and dL/dbias'),
    )),
    Assignment(3, 'conv_im2col', 'Fast convolution: im2col, one GEMM, col2im', (
        Task('a3_im2col', 'windows: the strided view whose element [c,i,j,n,h,w] is '
                          'xpad[n, c, s*h + d*i, s*w + d*j]'),
        Task('a3_col2im', 'col2im: add every column back onto the padded-input pixels it came from'),
        Task('a3_conv_gemm', 'the matrix products of the fast convolution (forward, dL/dcols, dL/dw)'),
    ), solved_elsewhere=('minigrad/ops/fast/conv.py', 'minigrad/ops/fast/columns.py',
                        'minigrad/ops/cuda/columns.py')),
    Assignment(4, 'transpose_unpool', 'Going up: transposed convolution and max-unpooling', (
        Task('a4_conv_transpose', 'conv_transpose2d_forward: scatter every input pixel through the kernel'),
        Task('a4_conv_transpose_backward', 'conv_transpose2d_backward: dL/dx, dL/dweight and dL/dbias '
                                           'with loops'),
        Task('a4_max_unpool', 'max-unpooling forward: write each value at its remembered index'),
        Task('a4_max_unpool_backward', 'max-unpooling backward: gather the gradient from those indices'),
    )),
    Assignment(5, 'unet', 'A U-Net with skip connections, and its receptive field', (
        Task('a5_unet_forward', 'UNet.forward: contracting path, bottleneck, expanding path with the '
                                'copied activations'),
        Task('a5_receptive_field', 'the receptive-field recurrences r, j, start'),
    )),
    Assignment(6, 'pix2pix', 'The pix2pix objective and one training step', (
        Task('a6_gan_losses', 'the cross-entropy GAN losses of D and G'),
        Task('a6_pix2pix_loss', 'the pix2pix losses: cGAN + lambda * L1 for G, the halved loss for D'),
        Task('a6_train_step', 'one pix2pix training step: update D on real and detached fake, then G'),
    )),
    Assignment(7, 'colorization', 'Colourization as classification: soft-encoding and rebalancing', (
        Task('a7_soft_encode', 'soft_encode: spread each ab value over its k nearest bins with '
                               'Gaussian weights'),
        Task('a7_rebalance', 'the smoothed bin distribution and the class-rebalancing weights'),
    )),
)

BY_NUMBER = {a.number: a for a in ASSIGNMENTS}
TASKS = {t.tag: t for a in ASSIGNMENTS for t in a.tasks}


def assignment_of(tag):
    """The assignment number a tag belongs to ('a2_conv_backward' -> 2), or None."""
    m = TAG_RE.match(tag)
    return int(m.group('number')) if m else None


def parse_numbers(text):
    """'1,2' / '1-3' / 'all' -> sorted tuple of assignment numbers; ValueError on unknown ones."""
    if text is None or text.strip().lower() == 'all':
        return tuple(sorted(BY_NUMBER))
    if text.strip().lower() in ('', 'none'):
        return ()
    numbers = set()
    for part in text.replace(' ', '').split(','):
        part = part.lower().lstrip('a')
        try:
            if '-' in part:
                lo, hi = (int(p.lstrip('a')) for p in part.split('-'))
                numbers.update(range(lo, hi + 1))
            elif part:
                numbers.add(int(part))
        except ValueError:
            raise ValueError(f"assignments: cannot read {text!r}; expected numbers like 1,2 or 1-3") from None
    unknown = sorted(numbers - set(BY_NUMBER))
    if unknown:
        raise ValueError(f"assignments: no assignment {unknown} (known: {sorted(BY_NUMBER)})")
    return tuple(sorted(numbers))
