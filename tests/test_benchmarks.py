"""The benchmark harness (benchmarks/run.py) on tiny shapes, and the PyTorch twins of the models.

Nothing here asserts a timing: only that the harness runs, writes well-formed
JSON with sensible (positive, consistent) numbers, and that the twins compute
exactly what the minigrad models compute.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad import models

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = pytest.mark.skipif(mg.default_backend() != 'numpy',
                                reason='the harness is exercised on the NumPy backend (--backend cupy is a flag)')


def _run(tmp_path, *args):
    from benchmarks import run
    out = tmp_path / 'results'
    result = run.main(['--quick', '--no-torch', '--out', str(out), *args])
    files = sorted(os.listdir(out))
    assert len(files) == 1 and files[0].endswith('-quick.json'), files   # no temp file left behind
    with open(out / files[0]) as f:
        saved = json.load(f)
    return result, saved


def test_quick_harness_writes_json(tmp_path):
    result, saved = _run(tmp_path, '--only', 'ops,models', '--filter', 'max_pool',
                         '--models', 'unet,unet_lean,classifier')
    assert saved['quick'] is True and saved['backend'] == 'numpy' and saved['torch'] is None
    assert saved['gemm_peak_gflops'] > 0 and saved['repeats'] == 1
    assert [r['op'] for r in saved['ops']] == ['max_pool2d'] and saved['ops'][0]['ms'] > 0
    rows = {r['model']: r for r in saved['models']}
    assert list(rows) == ['unet', 'unet_lean', 'classifier']
    for r in rows.values():
        assert r['ms'] > 0 and r['GFLOP/s'] > 0 and len(r['runs ms']) == 1
        assert 0 < r['weights MB'] < r['graph MB']
        assert 'torch ms' not in r
    # the tiny U-Net (2x3x32x32, depth 2, width 8): its graph, and the checkpointed one's
    unet = models.UNet(3, 2, depth=2, base_width=8)
    x = mg.tensor(np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32))
    y = mg.tensor(np.random.default_rng(0).integers(0, 2, (2, 32, 32)))
    assert rows['unet']['graph MB'] == pytest.approx(mg.graph_bytes(mg.functional.cross_entropy(unet(x), y)) / 1e6)
    assert rows['unet_lean']['graph MB'] < 0.6 * rows['unet']['graph MB']
    assert rows['unet']['step GFLOP'] == rows['unet_lean']['step GFLOP']
    # what main() returned is what it wrote
    assert result['models'][0]['ms'] == pytest.approx(saved['models'][0]['ms'])


def test_quick_harness_memory_in_a_child(tmp_path):
    _, saved = _run(tmp_path, '--only', 'memory', '--models', 'classifier')
    row, = saved['memory']
    assert row['model'] == 'classifier'
    assert row['peak RSS MB'] >= row['RSS built MB'] > 10      # a Python process with NumPy
    assert row['step RSS MB'] >= 0
    assert 'torch peak RSS MB' not in row


def test_command_line_entry_points():
    for cmd in ([sys.executable, '-m', 'benchmarks', '--help'], [sys.executable, 'benchmarks/run.py', '--help']):
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert '--quick' in done.stdout and '--only' in done.stdout
    done = subprocess.run([sys.executable, '-m', 'benchmarks', '--only', 'gpu'], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 2 and 'unknown section' in done.stderr


# ----------------------------------------------------------------------------- torch twins
def _compare(model, *arrays, atol=1e-5):
    torch = pytest.importorskip('torch')
    from benchmarks.torch_models import twin_of
    twin = twin_of(model)
    assert list(twin.state_dict()) == list(model.state_dict())
    ours = model(*[mg.tensor(a) for a in arrays]).numpy()
    theirs = twin(*[torch.from_numpy(a) for a in arrays]).detach().numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=atol)


@pytest.mark.parametrize('kwargs', [dict(), dict(norm='batch', down='conv', up='upsample'),
                                    dict(norm='instance', up='unpool'), dict(skip=False)])
def test_torch_unet_twin(rng, kwargs):
    pytest.importorskip('torch')
    _compare(models.UNet(3, 2, depth=2, base_width=4, **kwargs), rng.standard_normal((2, 3, 20, 20)).astype(np.float32))


def test_torch_pix2pix_twins(rng):
    pytest.importorskip('torch')
    x = rng.standard_normal((2, 3, 32, 32)).astype(np.float32)
    _compare(models.UNetGenerator(3, 3, num_downs=5, ngf=4, use_dropout=False), x)   # train mode: batch statistics
    g = models.UNetGenerator(3, 2, num_downs=5, ngf=4)
    g.eval()                                                                         # dropout off, running stats
    _compare(g, x)
    _compare(models.PatchDiscriminator(6, ndf=4), x, x)
    _compare(models.PatchDiscriminator(6, ndf=4, n_layers=0, norm='instance'), x, x)


def test_torch_classifier_twin(rng):
    pytest.importorskip('torch')
    _compare(models.Classifier(1, 10, width=4, input_size=32), rng.random((5, 1, 32, 32)).astype(np.float32))


@pytest.mark.parametrize('name', ['unet', 'classifier'])
def test_benchmark_cases_same_first_step(name):
    """The timed torch step starts from minigrad's weights and data: same loss, same update."""
    torch = pytest.importorskip('torch')
    from benchmarks.cases import MODEL_CASES
    from benchmarks.run import Device
    dev = Device('numpy', use_torch=False)
    case = MODEL_CASES[name](True)
    ours = case.minigrad(dev)
    theirs = case.torch(torch, 'cpu', like=ours)
    assert ours.step() == pytest.approx(theirs.step(), rel=1e-5)
    assert ours.step() == pytest.approx(theirs.step(), rel=1e-4)   # after one Adam step on both
    assert ours.weight_bytes() == theirs.weight_bytes()


def test_syncs_section_counts_transfers_per_step(tmp_path):
    """The per-step device->host transfer count (issue 19): a U-Net and a pix2pix step read at most
    a handful of values back (the logged loss), counted under the strict CuPy stand-in."""
    result, saved = _run(tmp_path, '--only', 'syncs', '--models', 'unet,pix2pix_b1')
    assert set(saved['syncs']) == {'unet', 'pix2pix_b1'}
    for counts in saved['syncs'].values():
        assert len(counts) == 2 and all(1 <= c <= 3 for c in counts), saved['syncs']
