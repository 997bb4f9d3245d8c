"""Down and up: pooling, unpooling, upsampling and transpose convolution.

Max-pooling and max-unpooling, nearest and bilinear upsampling, transpose convolution
(and its checkerboard), and how a classifier becomes a fully convolutional network once
its dense layers are written as convolutions.

Claims tested:
  * "Pooling → Unpooling": max-unpooling puts each maximum back where it came from
    (zeros elsewhere), so pooling the unpooled map gives the pooled map again.
  * "Convolution → Transpose convolution": the transpose conv is the adjoint of the conv
    with the same weights, ⟨conv(x), y⟩ = ⟨x, conv_transpose(y)⟩; with kernel 3 and stride 2
    its windows overlap unevenly (a checkerboard), with kernel 4 and stride 2 evenly.
  * "Recall that we can rewrite any vector-vector operation via 1x1 convolutions": a
    classifier's dense layers rewritten as convolutions give the same logits on the
    original size and a map of logits on a larger input.

Measured (2 CPU cores, NumPy backend): full mode ~4 s, quick mode ~1 s.
"""
import numpy as np

import minigrad as mg
import minigrad.functional as F
from minigrad import nn
from lessons.common import Lesson


def photo(size):
    """A grey crop of scikit-image's astronaut photograph (ships inside the wheel)."""
    from skimage import color, data, transform
    grey = color.rgb2gray(data.astronaut())[30:330, 110:410]
    return transform.resize(grey, (size, size), anti_aliasing=True).astype(np.float32)


def pooling_figure(lesson, image):
    x = mg.tensor(image[None, None])
    pooled, indices = F.max_pool2d(x, 4, return_indices=True)
    unpooled = F.max_unpool2d(pooled, indices, 4)
    nearest = F.interpolate(pooled, scale_factor=4, mode='nearest')
    bilinear = F.interpolate(pooled, scale_factor=4, mode='bilinear', align_corners=False)
    again = F.max_pool2d(unpooled, 4)
    same = float(np.abs(again.numpy() - pooled.numpy()).max())
    kept = unpooled.numpy()[0, 0]
    where = kept != 0
    exact = bool(np.all(kept[where] == image[where]))

    import matplotlib.pyplot as plt
    panels = [(image, 'input'), (pooled.numpy()[0, 0], 'max-pool 4x4'),
              (kept, 'max-unpool (maxima put back)'), (nearest.numpy()[0, 0], 'nearest x4'),
              (bilinear.numpy()[0, 0], 'bilinear x4')]
    fig, axes = plt.subplots(1, 5, figsize=(19, 4.2), constrained_layout=True)
    for ax, (img, title) in zip(axes, panels):
        ax.imshow(img, cmap='gray', vmin=0, vmax=1)
        ax.set_title(f'{title}\n{img.shape[0]}x{img.shape[1]}')
        ax.set_xlabel('x (pixels)')
        ax.set_ylabel('y (pixels)')
    lesson.figure(fig, 'pool_unpool_upsample.png')
    return same, exact


def transpose_conv_figure(lesson):
    rng = np.random.default_rng(0)
    w = mg.tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
    x = mg.tensor(rng.standard_normal((1, 3, 9, 9)).astype(np.float32))
    y = mg.tensor(rng.standard_normal((1, 4, 4, 4)).astype(np.float32))
    lhs = float((F.conv2d(x, w, stride=2) * y).sum().item())
    rhs = float((x * F.conv_transpose2d(y, w, stride=2)).sum().item())

    import matplotlib.pyplot as plt
    ones = mg.ones(1, 1, 8, 8)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.3), constrained_layout=True)
    uniformity = {}
    for ax, k in zip(axes, (3, 4)):
        pad = (k - 2) // 2 if k % 2 == 0 else 1
        out = F.conv_transpose2d(ones, mg.ones(1, 1, k, k), stride=2, padding=pad).numpy()[0, 0]
        inner = out[2:-2, 2:-2]
        uniformity[k] = (float(inner.min()), float(inner.max()))
        im = ax.imshow(out, cmap='magma')
        ax.set_title(f'transpose conv k={k}, stride 2 on all-ones\ninterior min {inner.min():.0f}, '
                     f'max {inner.max():.0f}')
        ax.set_xlabel('x (pixels)')
        ax.set_ylabel('y (pixels)')
        fig.colorbar(im, ax=ax, fraction=0.046)
    lesson.figure(fig, 'transpose_conv_checkerboard.png')
    return lhs, rhs, uniformity


class SmallClassifier(nn.Module):
    """conv-pool-conv-pool, then flatten and two dense layers: an image→vector network."""

    def __init__(self, size=16, classes=5):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.side = size // 4
        self.fc1 = nn.Linear(16 * self.side * self.side, 32)
        self.fc2 = nn.Linear(32, classes)

    def forward(self, x):
        h = self.features(x).flatten(1)
        return self.fc2(F.relu(self.fc1(h)))


def convolutionalize(model):
    """The same network with fc1 as a (side×side) conv and fc2 as a 1x1 conv.

    fc1's weight (32, 16·s·s) is exactly a conv weight (32, 16, s, s) read in the
    order flatten() used; fc2's (classes, 32) is a 1x1 conv weight (classes, 32, 1, 1).
    """
    s = model.side
    conv1 = nn.Conv2d(16, 32, s)
    conv1.weight.data = model.fc1.weight.data.reshape(32, 16, s, s)
    conv1.bias.data = model.fc1.bias.data
    conv2 = nn.Conv2d(32, model.fc2.out_features, 1)
    conv2.weight.data = model.fc2.weight.data.reshape(model.fc2.out_features, 32, 1, 1)
    conv2.bias.data = model.fc2.bias.data
    return nn.Sequential(model.features, conv1, nn.ReLU(), conv2)


def run(quick=False, seed=0):
    lesson = Lesson('l03_down_and_up', quick, seed)
    mg.manual_seed(0)
    same, exact = pooling_figure(lesson, photo(128 if quick else 256))
    lesson.claim('max_pool(max_unpool(max_pool(x))) == max_pool(x)', same == 0.0, max_difference=same)
    lesson.claim('unpooled values sit exactly where the maxima came from', exact)

    lhs, rhs, uniformity = transpose_conv_figure(lesson)
    lesson.record(adjoint_lhs=lhs, adjoint_rhs=rhs, overlap_k3=uniformity[3], overlap_k4=uniformity[4])
    lesson.claim('<conv(x), y> == <x, conv_transpose(y)> (transpose conv is the adjoint)',
                 abs(lhs - rhs) <= 1e-4 * max(1.0, abs(lhs)), lhs=lhs, rhs=rhs)
    lesson.claim('kernel 3, stride 2: uneven overlap (checkerboard)', uniformity[3][0] != uniformity[3][1],
                 interior_min=uniformity[3][0], interior_max=uniformity[3][1])
    lesson.claim('kernel 4, stride 2: even overlap', uniformity[4][0] == uniformity[4][1])

    model = SmallClassifier()
    fcn = convolutionalize(model)
    x = mg.randn(2, 1, 16, 16)
    with mg.no_grad():
        vec = model(x).numpy()
        as_map = fcn(x).numpy()
        big = fcn(mg.randn(1, 1, 64, 64)).numpy()
    diff = float(np.abs(as_map[:, :, 0, 0] - vec).max())
    lesson.record(classifier_output=list(vec.shape), fcn_output_on_16=list(as_map.shape),
                  fcn_output_on_64=list(big.shape))
    lesson.claim('dense layers as convolutions give identical logits on the original size',
                 diff < 1e-5 and as_map.shape[2:] == (1, 1), max_difference=diff)
    lesson.claim('on a 64x64 input the same weights give a 13x13 map of logits', big.shape[2:] == (13, 13),
                 shape=list(big.shape))
    return lesson.finish()


if __name__ == '__main__':
    run()
