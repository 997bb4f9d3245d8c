"""Down and up: pooling, unpooling, upsampling and transpose convolution.

Max-pooling and max-unpooling, nearest and bilinear upsampling, transpose convolution
(and its checkerboard), and how a classifier becomes a fully convolutional network once
its dense layers are written as convolutions.

Claims tested:
  * "Pooling → Unpooling": max-unpooling puts each maximum back where it came from
    (zeros elsewhere), so pooling the unpooled map gives the pooled map again (exactly).
  * "Convolution → Transpose convolution": the transpose conv is the adjoint of the conv
    with the same weights, ⟨conv(x), y⟩ = ⟨x, conv_transpose(y)⟩ to a relative 1e-4;
    with kernel 3 and stride 2 its windows overlap unevenly (interior counts differ by
    at least 2x: a checkerboard), with kernel 4 and stride 2 evenly.
  * "Recall that we can rewrite any vector-vector operation via 1x1 convolutions": a
    classifier's dense layers rewritten as convolutions give the same logits (to 1e-5) on
    the original size, and a 13x13 map of logits on a 64x64 input.

``seed`` draws the photo crop, the random tensors of the adjoint test and the
classifier's weights.  Every claim is exact or a float32 round-off bound, so quick and
full mode assert all of them.
"""
import numpy as np

import minigrad as mg
import minigrad.functional as F
from minigrad import nn
from lessons.common import Lesson
from lessons.figures import down_and_up as figures

POOL = 4  # the pooling window (and stride) of the unpooling demo


def run(quick=False, seed=0):
    lesson = Lesson('l03_down_and_up', quick, seed)
    rng = np.random.default_rng(seed)
    mg.manual_seed(seed)

    lesson.slide('Now: Unpooling')
    image = photo(128 if quick else 256, rng)
    x = mg.tensor(image[None, None])
    pooled, indices = F.max_pool2d(x, POOL, return_indices=True)
    unpooled = F.max_unpool2d(pooled, indices, POOL)
    maps = {'input': image, f'max-pool {POOL}x{POOL}': pooled.numpy()[0, 0],
            'max-unpool (maxima put back)': unpooled.numpy()[0, 0],
            f'nearest x{POOL}': F.interpolate(pooled, scale_factor=POOL, mode='nearest').numpy()[0, 0],
            f'bilinear x{POOL}': F.interpolate(pooled, scale_factor=POOL, mode='bilinear',
                                                align_corners=False).numpy()[0, 0]}
    again = F.max_pool2d(unpooled, POOL).numpy()
    kept = maps['max-unpool (maxima put back)'].ravel()
    picked = indices.numpy().ravel()                     # flat positions of the maxima in the input
    same = float(np.abs(again - pooled.numpy()).max())
    lesson.claim('max_pool(max_unpool(max_pool(x))) == max_pool(x) (exact)', same == 0.0,
                 max_difference=same)
    elsewhere = np.delete(kept, picked)
    exact = bool(np.array_equal(kept[picked], image.ravel()[picked]) and not elsewhere.any())
    lesson.claim('unpooled values sit exactly where the maxima came from, zeros elsewhere (exact)', exact,
                 maxima=int(picked.size), nonzero_elsewhere=int(np.count_nonzero(elsewhere)))
    lesson.figure(figures.pooling(maps, indices.numpy()[0, 0], POOL), 'pool_unpool_upsample.png')

    lesson.slide('Convolution → “Transpose Convolution”')
    w = mg.tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
    x = mg.tensor(rng.standard_normal((1, 3, 9, 9)).astype(np.float32))
    y = mg.tensor(rng.standard_normal((1, 4, 4, 4)).astype(np.float32))
    lhs = float((F.conv2d(x, w, stride=2) * y).sum().item())
    rhs = float((x * F.conv_transpose2d(y, w, stride=2)).sum().item())
    relative = abs(lhs - rhs) / max(1.0, abs(lhs))
    lesson.claim('<conv(x), y> == <x, conv_transpose(y)> to a relative 1e-4 (transpose conv is the '
                 'adjoint; margin in decades below the bound)', margin=np.log10(1e-4 / max(relative, 1e-12)),
                 lhs=lhs, rhs=rhs)
    overlaps = {k: transpose_overlap(k) for k in (3, 4)}
    inner = {k: o[2:-2, 2:-2] for k, o in overlaps.items()}
    spread = {k: float(inner[k].max() / inner[k].min()) for k in inner}
    lesson.record(adjoint_lhs=lhs, adjoint_rhs=rhs, overlap_k3=[inner[3].min(), inner[3].max()],
                  overlap_k4=[inner[4].min(), inner[4].max()])
    lesson.claim('kernel 3, stride 2: uneven overlap, the interior max/min count ratio is at least 2 '
                 '(a checkerboard)', margin=spread[3] - 2, interior_min=inner[3].min(),
                 interior_max=inner[3].max())
    lesson.claim('kernel 4, stride 2: even overlap (every interior pixel gets the same count, exact)',
                 spread[4] == 1.0, interior_min=inner[4].min(), interior_max=inner[4].max())
    lesson.figure(figures.checkerboard(overlaps), 'transpose_conv_checkerboard.png')

    lesson.slide('Recall that we can rewrite any vector-vector operations via 1x1 convolutions')
    model = SmallClassifier()
    fcn = convolutionalize(model)
    x = mg.randn(2, 1, 16, 16)
    with mg.no_grad():
        vec = model(x).numpy()
        as_map = fcn(x).numpy()
    diff = float(np.abs(as_map[:, :, 0, 0] - vec).max())
    lesson.claim('dense layers as convolutions give the same logits on the original size, to 1e-5 '
                 '(margin in decades below the bound)', as_map.shape[2:] == (1, 1) and diff < 1e-5,
                 margin=np.log10(1e-5 / max(diff, 1e-12)), max_difference=diff)

    lesson.slide('What if we make the input bigger?')
    with mg.no_grad():
        big = fcn(mg.randn(1, 1, 64, 64)).numpy()
    lesson.record(classifier_output=list(vec.shape), fcn_output_on_16=list(as_map.shape),
                  fcn_output_on_64=list(big.shape))
    lesson.claim('on a 64x64 input the same weights give a 13x13 map of logits (exact)',
                 big.shape[2:] == (13, 13), shape=list(big.shape))
    return lesson.finish()


def photo(size, rng):
    """A grey crop (at a random place near the face) of scikit-image's astronaut photograph."""
    from skimage import color, data, transform
    top, left = rng.integers(0, 60, 2)
    grey = color.rgb2gray(data.astronaut())[top:top + 300, 80 + left:380 + left]
    return transform.resize(grey, (size, size), anti_aliasing=True).astype(np.float32)


def transpose_overlap(k):
    """How many k x k windows of a stride-2 transpose conv land on each output pixel (all-ones in and weights)."""
    pad = (k - 2) // 2 if k % 2 == 0 else 1
    ones = mg.ones(1, 1, 8, 8)
    return F.conv_transpose2d(ones, mg.ones(1, 1, k, k), stride=2, padding=pad).numpy()[0, 0]


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
    conv1.weight.array = model.fc1.weight.array.reshape(32, 16, s, s)
    conv1.bias.array = model.fc1.bias.array
    conv2 = nn.Conv2d(32, model.fc2.out_features, 1)
    conv2.weight.array = model.fc2.weight.array.reshape(model.fc2.out_features, 32, 1, 1)
    conv2.bias.array = model.fc2.bias.array
    return nn.Sequential(model.features, conv1, nn.ReLU(), conv2)


if __name__ == '__main__':
    run()
