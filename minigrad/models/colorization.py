"""Colorization as classification (Zhang, Isola & Efros, ECCV 2016), scaled down.

The network sees the lightness L of an image and predicts, for every pixel, a
distribution over the Q quantised ab colours (:func:`minigrad.color.ab_gamut_bins`;
Q = 261 with grid 10).  Its shape follows the paper's figure, with every
width divided by 64 / ``width`` and ``convs`` convolutions per block::

    L (1,H,W) ─conv1─ w  ─conv2─ 2w ─conv3─ 4w ─conv4─ 8w ─conv5─ 8w ─conv6─ 8w ─conv7─ 8w ─conv8─ 4w ─1x1─▶ Q logits
              H/2       H/4       H/8       H/8    dilation 2   dilation 2     H/8       H/4 (up x2)        H/4

* Each block: ``convs[i]`` 3x3 convs with ReLU, the last of conv1–conv3 with
  stride 2, then BatchNorm.  conv8 starts with a 4x4 transposed conv (x2).
* conv5 and conv6 use dilation 2: a wider receptive field without losing
  resolution (the paper's "à trous" middle).
* The output is at a quarter of the input resolution, as in the paper (the ab
  channels are smooth, so they are up-sampled afterwards);
  ``out_resolution='full'`` adds two more x2 up-sampling blocks instead.
* ``regression=True`` outputs 2 channels (a, b) / :data:`AB_SCALE` instead of
  Q logits: the L2 baseline that gives desaturated, brownish results.

Inputs are normalised lightness ``(L − 50) / 100`` (:func:`normalize_l`).
"""
from .. import color, nn

L_CENTER, L_SCALE = 50.0, 100.0
#: Regression outputs are ab / AB_SCALE (ab lies roughly in [-110, 110]).
AB_SCALE = 110.0
#: Convolutions per block in the paper (conv1 … conv8).
PAPER_CONVS = (2, 2, 3, 3, 3, 3, 3, 3)


def normalize_l(L):
    """L in [0, 100] -> (L − 50) / 100, about [-0.5, 0.5] (what the network takes)."""
    return (L - L_CENTER) / L_SCALE


def _block(c_in, c_out, n, stride=1, dilation=1, up=False):
    """n 3x3 convs + ReLU (the last one strided, or a transposed conv first when ``up``), then BatchNorm."""
    layers = []
    for i in range(n):
        if up and i == 0:
            layers.append(nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1))
        else:
            s = stride if i == n - 1 else 1
            layers.append(nn.Conv2d(c_in if i == 0 else c_out, c_out, 3, stride=s, padding=dilation,
                                    dilation=dilation))
        layers.append(nn.ReLU())
    layers.append(nn.BatchNorm2d(c_out))
    return nn.Sequential(*layers)


class ColorizationNet(nn.Module):
    """``L (N, 1, H, W) -> logits (N, num_bins, H/4, W/4)`` (or ab (N, 2, …) with ``regression=True``).

    ``num_bins`` defaults to :func:`minigrad.color.num_ab_bins` (261).  H and W
    must be divisible by 8.  ``convs``: convolutions per block (8 entries;
    the paper's :data:`PAPER_CONVS` by default, ``(1,) * 8`` for a quick model).
    """

    def __init__(self, num_bins=None, width=16, out_resolution='quarter', regression=False,
                 convs=PAPER_CONVS):
        super().__init__()
        if out_resolution not in ('quarter', 'full'):
            raise ValueError(f"ColorizationNet: out_resolution must be 'quarter' or 'full', got {out_resolution!r}")
        convs = tuple(convs)
        if len(convs) != 8 or min(convs) < 1:
            raise ValueError(f"ColorizationNet: convs must give 8 block lengths >= 1, got {convs}")
        self.num_bins = color.num_ab_bins() if num_bins is None else int(num_bins)
        self.regression, self.out_resolution = regression, out_resolution
        w = width
        self.conv1 = _block(1, w, convs[0], stride=2)                  # H/2
        self.conv2 = _block(w, 2 * w, convs[1], stride=2)              # H/4
        self.conv3 = _block(2 * w, 4 * w, convs[2], stride=2)          # H/8
        self.conv4 = _block(4 * w, 8 * w, convs[3])
        self.conv5 = _block(8 * w, 8 * w, convs[4], dilation=2)        # à trous
        self.conv6 = _block(8 * w, 8 * w, convs[5], dilation=2)
        self.conv7 = _block(8 * w, 8 * w, convs[6])
        self.conv8 = _block(8 * w, 4 * w, convs[7], up=True)           # H/4
        blocks = [f'conv{i}' for i in range(1, 9)]
        c = 4 * w
        if out_resolution == 'full':
            self.conv9 = _block(4 * w, 2 * w, 1, up=True)              # H/2
            self.conv10 = _block(2 * w, w, 1, up=True)                 # H
            blocks += ['conv9', 'conv10']
            c = w
        self.out = nn.Conv2d(c, 2 if regression else self.num_bins, 1)
        self.block_names = blocks

    def forward(self, L):
        if L.ndim != 4 or L.shape[1] != 1 or L.shape[-1] % 8 or L.shape[-2] % 8:
            raise ValueError(f"ColorizationNet: expected normalised L of shape (N, 1, H, W) with H, W "
                             f"divisible by 8, got {tuple(L.shape)}")
        x = L
        for name in self.block_names:
            x = getattr(self, name)(x)
        return self.out(x)

    def predict_ab(self, L, method='annealed', T=color.TEMPERATURE):
        """ab (N, 2, h, w) as a backend array at the output resolution (no gradient).

        Classification: softmax over bins, then :func:`minigrad.color.decode`
        (``method`` 'annealed' with temperature T, 'mean' or 'mode').
        Regression: the output times :data:`AB_SCALE`.
        """
        from ..function import no_grad
        with no_grad():
            out = self(L)
            if self.regression:
                return (out * AB_SCALE).array
            return color.decode(out.softmax(dim=1).array, method=method, T=T)
