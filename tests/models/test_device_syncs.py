"""A training step on the device backend reads (almost) nothing back to the host.

Run under the strict CuPy stand-in, which counts device->host transfers; each
step may read its log once, nothing else (a U-Net step: 1, the target-range
check of cross_entropy; a pix2pix step: 1, the eight logged numbers together).
"""
import os
import subprocess
import sys

SCRIPT = r'''
import minigrad as mg, minigrad.functional as F
from minigrad import optim, strict_cupy
from minigrad.models import UNet, UNetGenerator, PatchDiscriminator, Pix2PixTrainer
mg.manual_seed(0)
model = UNet(3, 5, depth=2, base_width=4)
opt = optim.Adam(model.parameters(), lr=1e-3)
x, y = mg.randn(2, 3, 16, 16), (mg.rand(2, 16, 16) * 5).long()
counts = []
for step in range(2):
    with strict_cupy.count_transfers() as n:
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(); loss.backward(); opt.step()
    counts.append(n())
trainer = Pix2PixTrainer(UNetGenerator(3, 3, num_downs=4, ngf=4), PatchDiscriminator(6, ndf=4, n_layers=1),
                         progress=False)
a, b = mg.randn(2, 3, 16, 16), mg.randn(2, 3, 16, 16).tanh()
for step in range(2):
    with strict_cupy.count_transfers() as n:
        entry = trainer.train_step(a, b)
    counts.append(n())
assert all(isinstance(v, float) for k, v in entry.items() if k.startswith('loss'))
print(*counts)
'''


def test_training_steps_make_one_host_transfer_each(tmp_path):
    env = dict(os.environ, MINIGRAD_BACKEND='cupy-strict')
    out = subprocess.run([sys.executable, '-c', SCRIPT], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ['1', '1', '1', '1']
