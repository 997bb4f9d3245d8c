"""PyTorch twins of minigrad's benchmark models, layer for layer.

The benchmarks compare minigrad with PyTorch on *the same network*, so each
twin here builds the same layers in the same order, under the same attribute
names, as its minigrad original in :mod:`minigrad.models`:

=========================  ====================================
minigrad                   twin
=========================  ====================================
``models.UNet``            :class:`TorchUNet`
``models.UNetGenerator``   :class:`TorchUNetGenerator`
``models.PatchDiscriminator``  :class:`TorchPatchDiscriminator`
``models.Classifier``      :class:`TorchClassifier`
=========================  ====================================

Because the names match, ``twin.load_state_dict(minigrad_model.state_dict())``
works key for key; :func:`twin_of` builds the twin of a minigrad model (reading
its configuration off its layers) and copies the weights.  tests/test_benchmarks.py
checks that a twin and its original give the same outputs.

This file imports torch at the top: import it only when torch is installed
(minigrad itself never depends on torch).
"""
import numpy
import torch
from torch import nn
from torch.nn import functional as F


def _norm(kind, channels):
    if kind is None:
        return nn.Identity()
    if kind == 'batch':
        return nn.BatchNorm2d(channels)
    if kind == 'instance':
        return nn.InstanceNorm2d(channels)
    raise ValueError(f"norm must be None, 'batch' or 'instance', got {kind!r}")


# --------------------------------------------------------------------------------- U-Net
class TorchDoubleConv(nn.Sequential):
    """conv3x3 → norm → ReLU, twice (biases only without a norm), as minigrad's DoubleConv."""

    def __init__(self, c_in, c_out, norm=None, padding=1):
        bias = norm is None
        super().__init__(nn.Conv2d(c_in, c_out, 3, padding=padding, bias=bias), _norm(norm, c_out), nn.ReLU(),
                         nn.Conv2d(c_out, c_out, 3, padding=padding, bias=bias), _norm(norm, c_out), nn.ReLU())


class TorchUp(nn.Module):
    """'transpose': ConvTranspose2d(2, stride 2); 'upsample': 1x1 conv + bilinear x2;
    'unpool': 1x1 conv + MaxUnpool2d(2) with the encoder's indices."""

    def __init__(self, c_in, c_out, mode='transpose'):
        super().__init__()
        self.mode = mode
        if mode == 'transpose':
            self.up = nn.ConvTranspose2d(c_in, c_out, 2, stride=2)
        else:
            self.reduce = nn.Conv2d(c_in, c_out, 1)
            self.up = nn.Upsample(scale_factor=2, mode='bilinear') if mode == 'upsample' else nn.MaxUnpool2d(2)

    def forward(self, x, indices=None, output_size=None):
        if self.mode == 'transpose':
            return self.up(x)
        x = self.reduce(x)
        if self.mode == 'unpool':
            return self.up(x, indices, output_size=output_size)
        return self.up(x)


class TorchUNet(nn.Module):
    """minigrad.models.UNet in PyTorch: same arguments, same layers, same state_dict keys."""

    def __init__(self, in_channels, out_channels, depth=4, base_width=64, skip=True, down='maxpool',
                 up='transpose', norm=None, padding='same'):
        super().__init__()
        self.depth, self.skip, self.up_mode, self.padding = depth, skip, up, padding
        pad = 1 if padding == 'same' else 0
        widths = [base_width * 2 ** level for level in range(depth + 1)]
        self.encoder = nn.ModuleList([TorchDoubleConv(in_channels, widths[0], norm, pad)] +
                                     [TorchDoubleConv(widths[lv - 1], widths[lv], norm, pad)
                                      for lv in range(1, depth + 1)])
        self.downs = nn.ModuleList([nn.MaxPool2d(2, return_indices=(up == 'unpool')) if down == 'maxpool'
                                    else nn.Conv2d(widths[lv], widths[lv], 2, stride=2) for lv in range(depth)])
        self.ups = nn.ModuleList([TorchUp(widths[lv + 1], widths[lv], up) for lv in range(depth)])
        self.decoder = nn.ModuleList([TorchDoubleConv(2 * widths[lv] if skip else widths[lv], widths[lv], norm, pad)
                                      for lv in range(depth)])
        self.head = nn.Conv2d(widths[0], out_channels, 1)

    def forward(self, x):
        copies, indices = [], []
        for level in range(self.depth):
            x = self.encoder[level](x)
            copies.append(x)
            x = self.downs[level](x)
            if self.up_mode == 'unpool':
                x, idx = x
                indices.append(idx)
        x = self.encoder[self.depth](x)
        for level in reversed(range(self.depth)):
            copied = copies[level]
            x = self.ups[level](x, indices[level] if indices else None, output_size=copied.shape[-2:])
            if self.padding == 'same':
                dh, dw = copied.shape[-2] - x.shape[-2], copied.shape[-1] - x.shape[-1]
                if dh or dw:
                    x = F.pad(x, (0, dw, 0, dh))
            if self.skip:
                h, w = x.shape[-2:]
                top, left = (copied.shape[-2] - h) // 2, (copied.shape[-1] - w) // 2
                x = torch.cat([copied[:, :, top:top + h, left:left + w], x], dim=1)
            x = self.decoder[level](x)
        return self.head(x)


# ------------------------------------------------------------------------------ pix2pix
class TorchUNetGenerator(nn.Module):
    """minigrad.models.UNetGenerator (pix2pix's U-Net G) in PyTorch."""

    def __init__(self, in_channels, out_channels, num_downs=8, ngf=64, norm='batch', use_dropout=True):
        super().__init__()
        self.num_downs = num_downs
        bias = norm != 'batch'
        widths = [ngf * min(2 ** i, 8) for i in range(num_downs)]
        innermost = num_downs - 1
        self.down = nn.ModuleList()
        for i in range(num_downs):
            conv = nn.Conv2d(in_channels if i == 0 else widths[i - 1], widths[i], 4, stride=2, padding=1, bias=bias)
            if i == 0:
                self.down.append(nn.Sequential(conv))
            else:
                self.down.append(nn.Sequential(nn.LeakyReLU(0.2), conv,
                                               _norm(norm if i < innermost else None, widths[i])))
        self.up = nn.ModuleList()
        for i in range(num_downs):
            c_in = widths[i] if i == innermost else 2 * widths[i]
            if i == 0:
                self.up.append(nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(c_in, out_channels, 4, stride=2, padding=1),
                                             nn.Tanh()))
                continue
            block = [nn.ReLU(), nn.ConvTranspose2d(c_in, widths[i - 1], 4, stride=2, padding=1, bias=bias),
                     _norm(norm, widths[i - 1])]
            if use_dropout and i >= num_downs - 3:
                block.append(nn.Dropout(0.5))
            self.up.append(nn.Sequential(*block))

    def forward(self, x):
        copies = []
        for block in self.down:
            x = block(x)
            copies.append(x)
        for i in reversed(range(self.num_downs)):
            x = self.up[i](x)
            if i > 0:
                x = torch.cat([copies[i - 1], x], dim=1)
        return x


class TorchPatchDiscriminator(nn.Module):
    """minigrad.models.PatchDiscriminator (PatchGAN D) in PyTorch; ``D(x, y)`` concatenates on channels."""

    def __init__(self, in_channels, ndf=64, n_layers=3, norm='batch'):
        super().__init__()
        bias = norm != 'batch'
        if n_layers == 0:
            layers = [nn.Conv2d(in_channels, ndf, 1), nn.LeakyReLU(0.2),
                      nn.Conv2d(ndf, 2 * ndf, 1, bias=bias), _norm(norm, 2 * ndf), nn.LeakyReLU(0.2),
                      nn.Conv2d(2 * ndf, 1, 1)]
        else:
            layers = [nn.Conv2d(in_channels, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
            mult = 1
            for n in range(1, n_layers):
                prev, mult = mult, min(2 ** n, 8)
                layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=2, padding=1, bias=bias),
                           _norm(norm, ndf * mult), nn.LeakyReLU(0.2)]
            prev, mult = mult, min(2 ** n_layers, 8)
            layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=1, padding=1, bias=bias),
                       _norm(norm, ndf * mult), nn.LeakyReLU(0.2),
                       nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1)]
        self.model = nn.Sequential(*layers)

    def forward(self, x, y=None):
        if y is not None:
            x = torch.cat([x, y], dim=1)
        return self.model(x)


def pix2pix_step(G, D, opt_G, opt_D, x, y, lambda_l1=100.0):
    """One step as minigrad's Pix2PixTrainer.train_step does it (non-saturating cGAN + λ·L1)::

        D: ½ [BCE(D(x, y), 1) + BCE(D(x, G(x).detach()), 0)]      then G: BCE(D(x, G(x)), 1) + λ·L1
    with D's parameters frozen during the G step.  Returns (loss_D, loss_G) as floats.
    """
    bce = F.binary_cross_entropy_with_logits
    fake = G(x)
    for p in D.parameters():
        p.requires_grad_(True)
    opt_D.zero_grad()
    d_real, d_fake = D(x, y), D(x, fake.detach())
    loss_D = 0.5 * (bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake)))
    loss_D.backward()
    opt_D.step()
    opt_G.zero_grad()
    for p in D.parameters():
        p.requires_grad_(False)
    d_fake = D(x, fake)
    loss_G = bce(d_fake, torch.ones_like(d_fake)) + lambda_l1 * F.l1_loss(fake, y)
    loss_G.backward()
    opt_G.step()
    for p in D.parameters():
        p.requires_grad_(True)
    return loss_D.item(), loss_G.item()


# --------------------------------------------------------------------------- classifier
class TorchClassifier(nn.Module):
    """minigrad.models.Classifier in PyTorch: conv-ReLU-pool twice, flatten, fc-ReLU-fc."""

    def __init__(self, in_channels=1, num_classes=10, width=16, input_size=8):
        super().__init__()
        s = input_size // 4
        self.conv1 = nn.Conv2d(in_channels, width, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(width, 2 * width, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(2 * width * s * s, 4 * width)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(4 * width, num_classes)

    def forward(self, x):
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        return self.fc2(self.relu3(self.fc1(self.flatten(x))))


# --------------------------------------------------------------------------- building twins
def _norm_kind(module):
    name = type(module).__name__
    return {'Identity': None, 'BatchNorm2d': 'batch', 'InstanceNorm2d': 'instance'}[name]


def _config(model):
    """(twin class, constructor kwargs) read off a minigrad model's layers."""
    kind = type(model).__name__
    if kind in ('UNet', 'EncoderDecoder'):
        first = model.encoder[0]
        return TorchUNet, dict(in_channels=first[0].in_channels, out_channels=model.head.out_channels,
                               depth=model.depth, base_width=model.widths[0], skip=model.skip,
                               down=model.down_mode, up=model.up_mode, norm=_norm_kind(first[1]),
                               padding=model.padding)
    if kind == 'UNetGenerator':
        inner = [m for block in model.up for m in block]
        norms = [m for m in inner if type(m).__name__ in ('BatchNorm2d', 'InstanceNorm2d')]
        return TorchUNetGenerator, dict(
            in_channels=model.down[0][0].in_channels, out_channels=model.up[0][1].out_channels,
            num_downs=model.num_downs, ngf=model.widths[0], norm=_norm_kind(norms[0]) if norms else None,
            use_dropout=any(type(m).__name__ == 'Dropout' for m in inner))
    if kind == 'PatchDiscriminator':
        layers = list(model.model)
        norms = [m for m in layers if type(m).__name__ in ('BatchNorm2d', 'InstanceNorm2d')]
        return TorchPatchDiscriminator, dict(in_channels=layers[0].in_channels, ndf=layers[0].out_channels,
                                             n_layers=model.n_layers, norm=_norm_kind(norms[0]) if norms else None)
    if kind == 'Classifier':
        return TorchClassifier, dict(in_channels=model.conv1.in_channels, num_classes=model.fc2.out_features,
                                     width=model.conv1.out_channels, input_size=model.input_size)
    raise TypeError(f"twin_of: no PyTorch twin for {kind}")


def load_minigrad_state(twin, model):
    """Copy every parameter and buffer of the minigrad ``model`` into ``twin`` (strict: all keys)."""
    state = {k: torch.from_numpy(numpy.array(v.numpy(), copy=True)) for k, v in model.state_dict().items()}
    twin.load_state_dict(state, strict=True)
    return twin


def twin_of(model, device='cpu'):
    """The PyTorch twin of a minigrad model, with its weights and buffers, in the same train/eval mode."""
    cls, kwargs = _config(model)
    twin = load_minigrad_state(cls(**kwargs), model)
    twin.train(model.training)
    return twin.to(device)
