"""pix2pix's networks (Isola, Zhu, Zhou & Efros, CVPR 2017): a U-Net generator and a PatchGAN discriminator.

**Generator** (``UNetGenerator``, the paper's "unet_256": ``num_downs=8``, 256x256 in).
Down: a 4x4 convolution with stride 2 (``Ck`` = conv with k filters, then
norm); up: a 4x4 transposed convolution with stride 2.  Read the encoder
downwards, then the decoder upwards; ``⊕`` concatenates the encoder's copy
with the up-sampled map (so each decoder step takes twice the channels)::

    level   encoder                         copy        decoder (channels in -> out)
      0   x 3x256² ─C64──▶  64x128² ─────────────▶ ⊕ ─ up[0]   128 ->   3 ─ tanh ─▶ y 3x256²
      1            ─C128─▶ 128x64²  ─────────────▶ ⊕ ─ up[1]   256 ->  64 ─▶ (to level 0's ⊕)
      2            ─C256─▶ 256x32²  ─────────────▶ ⊕ ─ up[2]   512 -> 128
      3            ─C512─▶ 512x16²  ─────────────▶ ⊕ ─ up[3]  1024 -> 256
      4            ─C512─▶ 512x8²   ─────────────▶ ⊕ ─ up[4]  1024 -> 512
      5            ─C512─▶ 512x4²   ─────────────▶ ⊕ ─ up[5]  1024 -> 512  dropout
      6            ─C512─▶ 512x2²   ─────────────▶ ⊕ ─ up[6]  1024 -> 512  dropout
      7            ─C512─▶ 512x1²  ───────────────── up[7]   512 -> 512  dropout (the bottleneck)

The decoder's inputs, bottom up, are the paper's CD512-CD1024-CD1024-C1024-
C1024-C512-C256-C128.

The encoder uses LeakyReLU(0.2) and no norm on its first layer; the innermost
layer (1x1) has no norm either (a batch-norm over one pixel of one image is
undefined).  The decoder uses ReLU, and dropout 0.5 in its three innermost
blocks (the paper's CD512-CD1024-CD1024; pix2pix's released code shifts it one
block outward).  The last layer maps to ``out_channels`` with Tanh, so outputs
are in [-1, 1] like the normalised targets.  ``num_downs`` sets the number of
levels; the input side must be divisible by 2^num_downs (64x64 -> num_downs=6).

**Discriminator** (``PatchDiscriminator``, "70x70 PatchGAN" for ``n_layers=3``)::

    (x, y) ─C64─C128─C256─C512(stride 1)─ conv4x4 ─▶ one logit per 70x70 patch

``n_layers`` strided convs (C64 without norm), one stride-1 C(min(2^n, 8)·64),
and a 1-channel stride-1 conv, all 4x4 with padding 1 and LeakyReLU(0.2).
Receptive fields: n_layers = 1, 3, 5 -> 16, 70, 286 pixels (the paper's 16x16,
70x70 and 286x286 "ImageGAN" on 256 images).  ``n_layers=0`` is the 1x1
PixelGAN (1x1 convs only).  It is *conditional*: ``D(x, y)`` concatenates the
input x and an output y (real or generated) on the channel axis, so
``in_channels`` counts both.

Weights start as pix2pix's: conv weights ~ N(0, 0.02²), biases 0, norm scales
~ N(1, 0.02²), shifts 0 (:func:`init_pix2pix`).
"""
from .. import nn
from ..creation import cat
from ..gan import conditional_input
from .unet import norm_layer


def init_pix2pix(model, std=0.02):
    """pix2pix's initialisation, in place: conv weights N(0, std²), biases 0, norm weights N(1, std²).

    Draws from minigrad's seeded generator, so ``manual_seed`` fixes it.  Returns ``model``.
    """
    model.apply(nn.init.init_weights_normal(std))
    return model


def _check_norm(norm, who):
    if norm not in (None, 'batch', 'instance'):
        raise ValueError(f"{who}: norm must be None, 'batch' or 'instance', got {norm!r}")


class UNetGenerator(nn.Module):
    """pix2pix's U-Net generator: ``(N, in_channels, H, W) -> (N, out_channels, H, W)`` in [-1, 1].

    ``down[i]`` halves the size (level i), ``up[i]`` undoes it; ``up[i]`` for
    i > 0 is followed by concatenation with ``down[i-1]``'s output.
    """

    def __init__(self, in_channels, out_channels, num_downs=8, ngf=64, norm='batch', use_dropout=True):
        super().__init__()
        if not isinstance(num_downs, int) or num_downs < 1:
            raise ValueError(f"UNetGenerator: num_downs must be an int >= 1, got {num_downs!r}")
        _check_norm(norm, 'UNetGenerator')
        self.num_downs = num_downs
        bias = norm != 'batch'  # batch norm's shift makes a conv bias redundant
        widths = [ngf * min(2 ** i, 8) for i in range(num_downs)]  # 64 128 256 512 512 512 512 512
        self.widths = widths
        innermost = num_downs - 1

        self.down = nn.ModuleList()
        for i in range(num_downs):
            conv = nn.Conv2d(in_channels if i == 0 else widths[i - 1], widths[i], 4, stride=2, padding=1,
                             bias=bias)
            if i == 0:                      # C64: no activation before, no norm
                self.down.append(nn.Sequential(conv))
            else:                           # LeakyReLU -> conv -> norm (none at the 1x1 innermost)
                self.down.append(nn.Sequential(nn.LeakyReLU(0.2), conv,
                                               norm_layer(norm if i < innermost else None, widths[i])))

        self.up = nn.ModuleList()
        for i in range(num_downs):
            c_in = widths[i] if i == innermost else 2 * widths[i]   # 2x: the copy is concatenated
            if i == 0:                      # outermost: to the output channels, Tanh
                self.up.append(nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(c_in, out_channels, 4, stride=2,
                                                                           padding=1), nn.Tanh()))
                continue
            block = [nn.ReLU(), nn.ConvTranspose2d(c_in, widths[i - 1], 4, stride=2, padding=1, bias=bias),
                     norm_layer(norm, widths[i - 1])]
            if use_dropout and i >= num_downs - 3:
                block.append(nn.Dropout(0.5))
            self.up.append(nn.Sequential(*block))
        init_pix2pix(self)

    def forward(self, x):
        n = 2 ** self.num_downs
        if x.ndim != 4 or x.shape[-1] % n or x.shape[-2] % n:
            raise ValueError(f"UNetGenerator: expected (N, C, H, W) with H and W divisible by "
                             f"2^num_downs = {n}, got shape {tuple(x.shape)}")
        copies = []
        for block in self.down:             # encoder: 256 -> 128 -> ... -> 1
            x = block(x)
            copies.append(x)
        for i in reversed(range(self.num_downs)):   # decoder: 1 -> 2 -> ... -> 256
            x = self.up[i](x)
            if i > 0:
                x = cat([copies[i - 1], x], dim=1)
        return x

    def receptive_field_paths(self):
        """{path: layers} for :func:`minigrad.calc.receptive_field_paths`: the copy taken after
        ``down[k]`` re-enters before ``up[k]``, so path k is down[0..k] then up[k..0]."""
        return {('bottleneck' if k == self.num_downs - 1 else f'copy at level {k}'):
                list(self.down[:k + 1]) + [self.up[i] for i in reversed(range(k + 1))]
                for k in range(self.num_downs)}


class PatchDiscriminator(nn.Module):
    """PatchGAN: ``D(x, y)`` -> logits (N, 1, h, w), one real/fake verdict per overlapping patch.

    ``in_channels`` = channels of x plus channels of y.  Outputs are LOGITS
    (no sigmoid): feed them to :mod:`minigrad.gan`'s losses.
    """

    def __init__(self, in_channels, ndf=64, n_layers=3, norm='batch'):
        super().__init__()
        if not isinstance(n_layers, int) or n_layers < 0:
            raise ValueError(f"PatchDiscriminator: n_layers must be an int >= 0, got {n_layers!r}")
        _check_norm(norm, 'PatchDiscriminator')
        self.n_layers = n_layers
        bias = norm != 'batch'
        if n_layers == 0:                   # PixelGAN: 1x1 convs, a verdict per pixel
            layers = [nn.Conv2d(in_channels, ndf, 1), nn.LeakyReLU(0.2),
                      nn.Conv2d(ndf, 2 * ndf, 1, bias=bias), norm_layer(norm, 2 * ndf), nn.LeakyReLU(0.2),
                      nn.Conv2d(2 * ndf, 1, 1)]
        else:
            layers = [nn.Conv2d(in_channels, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]   # C64
            mult = 1
            for n in range(1, n_layers):    # C128, C256 (stride 2)
                prev, mult = mult, min(2 ** n, 8)
                layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=2, padding=1, bias=bias),
                           norm_layer(norm, ndf * mult), nn.LeakyReLU(0.2)]
            prev, mult = mult, min(2 ** n_layers, 8)   # C512 (stride 1)
            layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=1, padding=1, bias=bias),
                       norm_layer(norm, ndf * mult), nn.LeakyReLU(0.2),
                       nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1)]   # -> 1 logit per patch
        self.model = nn.Sequential(*layers)
        init_pix2pix(self)

    def forward(self, x, y=None):
        """``D(x, y)`` with y the (real or generated) output; ``D(xy)`` if already concatenated."""
        if y is not None:
            x = conditional_input(x, y)
        return self.model(x)
