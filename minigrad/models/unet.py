"""U-Net (Ronneberger, Fischer & Brox 2015) and the plain encoder–decoder it improves on.

The lecture's picture, for ``depth=4, base_width=64`` (widths double per level)::

    in ─[3x3,3x3]─ 64 ──────────────── copy ─────────────────▶ 64+64 ─[3x3,3x3]─ 64 ─[1x1]─ out
                    │ down                                        ▲ up
                   [3x3,3x3] 128 ──────── copy ──────────▶ 128+128 ─[3x3,3x3]─ 128
                    │ down                                  ▲ up
                   [3x3,3x3] 256 ──── copy ───────▶ 256+256 ─[3x3,3x3]─ 256
                    │ down                            ▲ up
                   [3x3,3x3] 512 ── copy ──▶ 512+512 ─[3x3,3x3]─ 512
                    │ down                     ▲ up
                    └──────[3x3,3x3] 1024 ─────┘              (the bottleneck)

* Each ``[3x3,3x3]`` is a :class:`DoubleConv`: (conv 3x3 → norm → ReLU) twice.
* **down** halves H and W: ``'maxpool'`` (2x2 max pooling) or ``'conv'`` (a
  learned 2x2 convolution with stride 2).
* **up** doubles H and W and halves the channels: ``'transpose'`` (a 2x2
  transposed convolution with stride 2, the paper's "up-conv"), ``'upsample'``
  (a 1x1 conv, then bilinear up-sampling) or ``'unpool'`` (a 1x1 conv, then
  max-unpooling to the places the encoder's max-pool took its maxima from:
  SegNet's trick; needs ``down='maxpool'``).
* **copy** (``skip=True``) concatenates the encoder's activation with the
  up-sampled one, so the decoder gets back the details that down-sampling
  threw away.  ``skip=False`` is the plain encoder–decoder of the lecture: the
  same layers, but each decoder block sees only the up-sampled channels.

``padding='same'`` pads every 3x3 conv by 1, so the output has the input's
size (odd sizes work: the up-sampled map is zero-padded to the encoder's size).
``padding='valid'`` is the original paper: no padding, every conv trims a
1-pixel border, and the copied encoder map is *cropped* to the decoder's size
before concatenating.  At depth 4 a 572x572 input then gives a 388x388 output.
"""
from .. import functional as F
from .. import nn
from ..creation import cat

_DOWN = ('maxpool', 'conv')
_UP = ('transpose', 'unpool', 'upsample')
_NORM = (None, 'batch', 'instance')


def norm_layer(kind, channels):
    """``None`` -> Identity, ``'batch'`` -> BatchNorm2d, ``'instance'`` -> InstanceNorm2d (affine=False)."""
    if kind is None:
        return nn.Identity()
    if kind == 'batch':
        return nn.BatchNorm2d(channels)
    if kind == 'instance':
        return nn.InstanceNorm2d(channels)
    raise ValueError(f"norm must be one of {_NORM}, got {kind!r}")


class DoubleConv(nn.Sequential):
    """conv 3x3 → norm → ReLU → conv 3x3 → norm → ReLU (the U-Net's building block).

    With ``padding=1`` the size is kept; with ``padding=0`` each conv trims one
    pixel per side (H → H − 4).  Conv biases are dropped when a norm follows
    (the norm's shift would cancel them).
    """

    def __init__(self, in_channels, out_channels, norm=None, padding=1):
        bias = norm is None
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=padding, bias=bias),
            norm_layer(norm, out_channels),
            nn.ReLU(),
            nn.Conv2d(out_channels, out_channels, 3, padding=padding, bias=bias),
            norm_layer(norm, out_channels),
            nn.ReLU(),
        )


class Up(nn.Module):
    """Double H and W and halve the channels: ``in_channels -> out_channels``.

    ``'transpose'``: ConvTranspose2d(k=2, s=2).  ``'upsample'``: 1x1 conv then
    bilinear Upsample(x2).  ``'unpool'``: 1x1 conv then MaxUnpool2d(2) with the
    encoder's pooling indices (the 1x1 conv goes first because the indices
    belong to a map with ``out_channels`` channels).
    """

    def __init__(self, in_channels, out_channels, mode='transpose'):
        super().__init__()
        self.mode = mode
        if mode == 'transpose':
            self.up = nn.ConvTranspose2d(in_channels, out_channels, 2, stride=2)
        elif mode == 'upsample':
            self.reduce = nn.Conv2d(in_channels, out_channels, 1)
            self.up = nn.Upsample(scale_factor=2, mode='bilinear')
        elif mode == 'unpool':
            self.reduce = nn.Conv2d(in_channels, out_channels, 1)
            self.up = nn.MaxUnpool2d(2)
        else:
            raise ValueError(f"Up: mode must be one of {_UP}, got {mode!r}")

    def forward(self, x, indices=None, output_size=None):
        if self.mode == 'transpose':
            return self.up(x)
        x = self.reduce(x)
        if self.mode == 'unpool':
            return self.up(x, indices, output_size=output_size)
        return self.up(x)


def center_crop(x, size):
    """The central ``size = (h, w)`` window of x (N, C, H, W): the "crop" of crop-and-copy."""
    H, W = x.shape[-2:]
    h, w = size
    if h > H or w > W:
        raise ValueError(f"center_crop: cannot crop {(H, W)} to the larger {(h, w)}")
    top, left = (H - h) // 2, (W - w) // 2
    return x[:, :, top:top + h, left:left + w]


def pad_to(x, size):
    """Zero-pad x (N, C, h, w) at the bottom/right up to ``size`` (H, W) (odd sizes in 'same' mode)."""
    dh, dw = size[0] - x.shape[-2], size[1] - x.shape[-1]
    if dh < 0 or dw < 0:
        raise ValueError(f"pad_to: cannot pad {tuple(x.shape[-2:])} to the smaller {tuple(size)}")
    if dh == 0 and dw == 0:
        return x
    return F.pad(x, (0, dw, 0, dh))


class UNet(nn.Module):
    """U-Net: ``(N, in_channels, H, W) -> (N, out_channels, H', W')`` (H' = H for 'same' padding).

    ``depth``: number of down-sampling steps (4 in the paper); the widths are
    ``base_width · 2^level`` for level 0..depth.  See the module docstring for
    ``skip``, ``down``, ``up``, ``norm`` and ``padding``.  The output is raw
    scores (logits) per pixel; take ``argmax(dim=1)`` for labels.
    """

    def __init__(self, in_channels, out_channels, depth=4, base_width=64, skip=True,
                 down='maxpool', up='transpose', norm=None, padding='same'):
        super().__init__()
        if not isinstance(depth, int) or depth < 0:
            raise ValueError(f"UNet: depth must be an int >= 0, got {depth!r}")
        if down not in _DOWN:
            raise ValueError(f"UNet: down must be one of {_DOWN}, got {down!r}")
        if up not in _UP:
            raise ValueError(f"UNet: up must be one of {_UP}, got {up!r}")
        if norm not in _NORM:
            raise ValueError(f"UNet: norm must be one of {_NORM}, got {norm!r}")
        if padding not in ('same', 'valid'):
            raise ValueError(f"UNet: padding must be 'same' or 'valid', got {padding!r}")
        if up == 'unpool' and (down != 'maxpool' or padding != 'same'):
            raise ValueError(f"UNet: up='unpool' reuses the encoder's max-pool indices, so it needs "
                             f"down='maxpool' and padding='same'; got down={down!r}, padding={padding!r}")
        self.depth, self.skip, self.down_mode, self.up_mode = depth, skip, down, up
        self.padding = padding
        pad = 1 if padding == 'same' else 0
        widths = [base_width * 2 ** level for level in range(depth + 1)]
        self.widths = widths

        # encoder[level] for level < depth is the block whose output is copied across;
        # encoder[depth] is the bottleneck.
        self.encoder = nn.ModuleList(
            [DoubleConv(in_channels, widths[0], norm, pad)]
            + [DoubleConv(widths[level - 1], widths[level], norm, pad) for level in range(1, depth + 1)])
        self.downs = nn.ModuleList([
            nn.MaxPool2d(2, return_indices=(up == 'unpool')) if down == 'maxpool'
            else nn.Conv2d(widths[level], widths[level], 2, stride=2)
            for level in range(depth)])
        self.ups = nn.ModuleList([Up(widths[level + 1], widths[level], up) for level in range(depth)])
        self.decoder = nn.ModuleList([
            DoubleConv(2 * widths[level] if skip else widths[level], widths[level], norm, pad)
            for level in range(depth)])
        self.head = nn.Conv2d(widths[0], out_channels, 1)

    def forward(self, x):
        if x.ndim != 4:
            raise ValueError(f"UNet: expected input (N, C, H, W), got shape {tuple(x.shape)}")
        # BEGIN SOLUTION a5_unet_forward
        # BEGIN PROMPT
        # Contracting path: for each level, encoder[level], keep the result (the copy), then
        # downs[level] (with up='unpool' it returns (x, indices): keep the indices too).
        # Then encoder[depth], the bottleneck.  Expanding path, deepest level first: ups[level]
        # (pass the level's indices and output_size), pad_to the copy's size when padding is
        # 'same', concatenate [center_crop(copy), x] on channels when self.skip, decoder[level].
        # Finish with self.head.
        # END PROMPT
        copies, indices = [], []
        for level in range(self.depth):                  # the contracting path
            x = self.encoder[level](x)
            copies.append(x)
            if min(x.shape[-2:]) < 2:
                raise ValueError(f"UNet: the input is too small for depth {self.depth}: at level {level} "
                                 f"the feature map is {tuple(x.shape[-2:])}, cannot halve it again")
            x = self.downs[level](x)
            if self.up_mode == 'unpool':
                x, idx = x
                indices.append(idx)
        x = self.encoder[self.depth](x)                  # the bottleneck
        for level in reversed(range(self.depth)):        # the expanding path
            copied = copies[level]
            x = self.ups[level](x, indices[level] if indices else None, output_size=copied.shape[-2:])
            if self.padding == 'same':
                x = pad_to(x, copied.shape[-2:])
            if self.skip:                                # copy (and crop) the encoder's activation
                x = cat([center_crop(copied, x.shape[-2:]), x], dim=1)
            x = self.decoder[level](x)
        return self.head(x)
        # END SOLUTION

    def receptive_field_paths(self):
        """{path name: list of layers (input to output)} for :func:`minigrad.calc.receptive_field_paths`.

        With copies, an output pixel is reached along ``depth + 1`` paths: the
        one through the bottleneck, and one per copy that turns off the
        contracting path at its level.  Without copies only the bottleneck path exists.
        """
        paths = {}
        for level in range(self.depth + 1) if self.skip else [self.depth]:
            layers = []
            for lv in range(level):
                layers += [self.encoder[lv], self.downs[lv]]
            layers.append(self.encoder[level])
            if level < self.depth:
                layers.append(self.decoder[level])
            for lv in reversed(range(level)):   # Up's layers, not Up: its forward() is not a Sequential
                layers += [*self.ups[lv].children(), self.decoder[lv]]
            layers.append(self.head)
            name = 'bottleneck' if level == self.depth else f'copy at level {level}'
            paths[name] = layers
        return paths

    def extra_repr(self):
        return (f"depth={self.depth}, widths={self.widths}, skip={self.skip}, down={self.down_mode!r}, "
                f"up={self.up_mode!r}, padding={self.padding!r}")


class EncoderDecoder(UNet):
    """The lecture's encoder–decoder: ``UNet(..., skip=False)``, same layers, no copied activations."""

    def __init__(self, in_channels, out_channels, **kwargs):
        if kwargs.pop('skip', False):
            raise ValueError("EncoderDecoder: skip=True would make it a UNet; use UNet instead")
        super().__init__(in_channels, out_channels, skip=False, **kwargs)


def valid_output_size(size, depth=4):
    """Output size of a 'valid' U-Net for an input of ``size`` (no model needed).

    Every DoubleConv trims 4 pixels, every down halves, every up doubles:
    572 -> 388 at depth 4.  Raises ValueError when a pooled size is odd (the
    crop would not line up) or the map vanishes.
    """
    n = size
    for level in range(depth):
        n -= 4
        if n < 2 or n % 2:
            raise ValueError(f"valid_output_size: input {size} gives an odd or empty map ({n}) at level {level}")
        n //= 2
    n -= 4
    for _ in range(depth):
        n = 2 * n - 4
    if n < 1:
        raise ValueError(f"valid_output_size: input {size} is too small for depth {depth}")
    return n
