"""Write the small ``torch.save`` files that tests/test_torchfile.py reads without torch.

Run from the repository root (needs PyTorch; the tests do not):

    python tools/make_pth_fixtures.py

It writes into tests/fixtures/pth/:

* ``conv_net.pth``    the state_dict of a small conv net (float32, BatchNorm buffers incl. an int64)
* ``unet_generator.pth`` the state_dict of a small pix2pix U-Net generator (``TorchUNetGenerator``:
                      minigrad.models.pix2pix.UNetGenerator(3, 3, num_downs=4, ngf=2) written in torch)
* ``float64.pth``     one float64 tensor
* ``views.pth``       non-contiguous views (transpose, strided slice, offset) of one storage, and two
                      tensors sharing another storage
* ``dtypes.pth``      int64/32/16/8, uint8, bool, float16 and bfloat16 tensors
* ``nested.pth``      dicts, OrderedDicts, lists, tuples, sets, torch.Size, bytes, numbers, a Parameter
* ``legacy.pth``      views and a nested dict in the pre-1.6 layout (``_use_new_zipfile_serialization=False``)
* ``evil_*.pth``      hand-built pickles that would create the file ``PWNED`` in the working directory
                      (through builtins.exec, os.system, a protocol-4 global, inside a state_dict, legacy)
* ``expected.npz``    every tensor's values under ``<fixture>/<path>`` (bfloat16 as float32), plus the
                      two nets' inputs and eval-mode outputs (``forward/...``), so tests compare without torch.
"""
import collections
import io
import os
import pickle
import zipfile

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'pth')


def conv_net():
    """The same layers as tests/test_io.py's ``_model()``."""
    t = torch.nn
    return t.Sequential(t.Conv2d(2, 3, 3), t.BatchNorm2d(3), t.ReLU(), t.Flatten(), t.Linear(12, 2))


class TorchUNetGenerator(torch.nn.Module):
    """minigrad.models.pix2pix.UNetGenerator (norm='batch', use_dropout=True) in PyTorch:
    the same layers under the same names, so the same state_dict keys, and the same forward."""

    def __init__(self, in_channels, out_channels, num_downs, ngf):
        super().__init__()
        t = torch.nn
        widths = [ngf * min(2 ** i, 8) for i in range(num_downs)]
        self.down, self.up = t.ModuleList(), t.ModuleList()
        for i in range(num_downs):
            conv = t.Conv2d(in_channels if i == 0 else widths[i - 1], widths[i], 4, 2, 1, bias=False)
            norm = t.BatchNorm2d(widths[i]) if i < num_downs - 1 else t.Identity()
            self.down.append(t.Sequential(conv) if i == 0 else t.Sequential(t.LeakyReLU(0.2), conv, norm))
        for i in range(num_downs):
            c_in = widths[i] if i == num_downs - 1 else 2 * widths[i]
            if i == 0:
                self.up.append(t.Sequential(t.ReLU(), t.ConvTranspose2d(c_in, out_channels, 4, 2, 1), t.Tanh()))
                continue
            block = [t.ReLU(), t.ConvTranspose2d(c_in, widths[i - 1], 4, 2, 1, bias=False), t.BatchNorm2d(widths[i - 1])]
            self.up.append(t.Sequential(*block, *([t.Dropout(0.5)] if i >= num_downs - 3 else [])))

    def forward(self, x):
        copies = []
        for block in self.down:
            x = block(x)
            copies.append(x)
        for i in reversed(range(len(self.up))):
            x = self.up[i](x)
            if i > 0:
                x = torch.cat([copies[i - 1], x], dim=1)
        return x


def trained_a_little(net, x_shape):
    """``net`` in eval mode after one train-mode forward (running statistics moved off their init)."""
    net(torch.randn(*x_shape))
    return net.eval()


def fixtures():
    torch.manual_seed(0)
    net = trained_a_little(conv_net(), (4, 2, 4, 4))
    unet = trained_a_little(TorchUNetGenerator(3, 3, num_downs=4, ngf=2), (2, 3, 16, 16))
    x, x_unet = torch.randn(2, 2, 4, 4), torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        forward = {'input': x, 'output': net(x), 'unet_input': x_unet, 'unet_output': unet(x_unet)}
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    shared = torch.linspace(-1, 1, 10)
    views = {'base': base, 'transposed': base.t(), 'strided': base[:, ::2], 'offset': base[1:, 2:],
             'column': base[:, 3], 'first': shared[:5], 'second': shared[5:]}
    dtypes = {'int64': torch.tensor([-2**40, 0, 7]), 'int32': torch.tensor([-5, 2**30], dtype=torch.int32),
              'int16': torch.tensor([[-300, 300]], dtype=torch.int16), 'int8': torch.tensor([-128, 127], dtype=torch.int8),
              'uint8': torch.tensor([0, 255], dtype=torch.uint8), 'bool': torch.tensor([[True, False], [False, True]]),
              'float16': torch.tensor([0.5, -65504.0], dtype=torch.float16),
              'bfloat16': torch.tensor([1.5, -3.0e38, 2.0**-100], dtype=torch.bfloat16), 'scalar': torch.tensor(3.25)}
    nested = {'model': collections.OrderedDict(w=torch.ones(2, 3), b=torch.zeros(3)),
              'history': [1.0, 0.5, (2, 'two')], 'pair': (torch.full((2,), 7.0), None),
              'meta': {'epoch': 12, 'name': 'run', 'ok': True, 'size': torch.Size([3, 4]), 'tags': {'a', 'b'},
                       'raw': b'\x00\xffbytes', 7: 'int key', 'lr': 2e-4},
              'param': torch.nn.Parameter(torch.tensor([1.0, 2.0]))}
    return {'conv_net': net.state_dict(), 'unet_generator': unet.state_dict(), 'float64': torch.linspace(0, 1, 7, dtype=torch.float64),
            'views': views, 'dtypes': dtypes, 'nested': nested}, forward


def call(module, name, *args):
    """A protocol-2 pickle that calls ``module.name(*args)`` (what a malicious __reduce__ produces)."""
    return b'\x80\x02c' + f'{module}\n{name}\n'.encode() + pickle.dumps(args, 2)[2:-1] + b'R.'


def torch_zip(data_pkl, storages=()):
    """``data_pkl`` (and ``storages``: (key, bytes) pairs) packed like torch.save packs them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as zf:
        zf.writestr('archive/data.pkl', data_pkl)
        zf.writestr('archive/byteorder', 'little')
        for key, data in storages:
            zf.writestr(f'archive/data/{key}', data)
        zf.writestr('archive/version', '3\n')
    return buffer.getvalue()


def evil_files():
    make_file = "open('PWNED', 'w').write('this code ran')"
    in_state_dict = io.BytesIO()
    torch.save({'weight': torch.ones(2)}, in_state_dict)
    with zipfile.ZipFile(in_state_dict) as zf:   # a real checkpoint whose dict gains one malicious value
        pkl = zf.read('archive/data.pkl')
        storage = zf.read('archive/data/0')
    pkl = pkl[:-1] + b'X\x04\x00\x00\x00evil' + call('builtins', 'exec', make_file)[2:-1] + b's.'
    legacy = b''.join(pickle.dumps(v, 2) for v in (0x1950A86A20F9469CFC6C, 1001, {'little_endian': True}))
    stack_global = (b'\x80\x04\x8c\x02os\x8c\x06system\x93' + pickle.dumps(('touch PWNED',), 4)[2:-1] + b'R.')
    return {'evil_exec.pth': torch_zip(call('builtins', 'exec', make_file)),
            'evil_system.pth': torch_zip(call('os', 'system', 'touch PWNED')),
            'evil_stack_global.pth': torch_zip(stack_global),
            'evil_in_state_dict.pth': torch_zip(pkl, [('0', storage)]),
            'evil_legacy.pth': legacy + call('builtins', 'exec', make_file)}


def flatten(obj, prefix, out):
    """``out[prefix/path] = values`` for every tensor in ``obj``."""
    if isinstance(obj, torch.Tensor):
        out[prefix] = obj.detach().float().numpy() if obj.dtype == torch.bfloat16 else obj.detach().numpy()
    elif isinstance(obj, dict):
        for k, v in obj.items():
            flatten(v, f'{prefix}/{k}', out)
    elif isinstance(obj, (list, tuple)) and not isinstance(obj, torch.Size):
        for i, v in enumerate(obj):
            flatten(v, f'{prefix}/{i}', out)
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    objs, forward = fixtures()
    expected = {}
    for name, obj in objs.items():
        torch.save(obj, os.path.join(OUT, f'{name}.pth'))
        flatten(obj, name, expected)
    legacy = {'views': objs['views'], 'nested': {'w': objs['nested']['model']['w'], 'n': [1, 'x']}}
    torch.save(legacy, os.path.join(OUT, 'legacy.pth'), _use_new_zipfile_serialization=False)
    flatten(legacy, 'legacy', expected)
    flatten(forward, 'forward', expected)
    for name, data in evil_files().items():
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(data)
    np.savez(os.path.join(OUT, 'expected.npz'), **expected)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, into {os.path.normpath(OUT)}")


if __name__ == '__main__':
    main()
