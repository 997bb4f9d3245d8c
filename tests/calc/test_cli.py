"""The command line: each slide number from one command."""
import io
import os
import subprocess
import sys

import pytest

from minigrad.calc.__main__ import main


def run(*argv):
    out = io.StringIO()
    assert main(list(argv), out=out) == 0
    return out.getvalue()


def test_rf_slide():
    text = run('rf', 'conv3x3*100')
    assert 'receptive field after 100 layers: 201 pixels' in text
    assert run('rf', 'conv3x3*100', '--input', '400').splitlines()[-2].split()[-1] == '400'


def test_layers_slide():
    assert '100 layers of conv3x3 reach a receptive field of 201 >= 200 pixels' in run('layers', '200')
    assert run('layers', '70', '--layer', 'conv4s2').startswith('5 layers')


def test_memory_slide():
    one = run('memory', 'conv3x3c200', '--input', '200x400x400')
    assert 'largest layer output, one image: 128,000,000 bytes = 128.00 MB = 122.07 MiB' in one
    net = run('memory', 'conv3x3c200*100', '--input', '200x400x400', '--batch', '20', '--totals')
    assert 'all 100 layer outputs, batch 20: 256,000,000,000 bytes = 256.00 GB = 238.42 GiB' in net


def test_rf_paths_flops_summary_redundancy():
    text = run('rf', '--path', 'deep=conv3*2,pool2,conv3*2,up2,conv3*2', '--path', 'skip=conv3*2,conv3*2')
    assert 'largest: deep' in text and '(all paths)' in text
    assert 'total: 442,368 MACs' in run('flops', 'conv3c16', '--input', '3x32x32')
    assert '1x8x16x16' in run('summary', 'conv3c8,pool2', '--input', '3x32x32')
    text = run('redundancy', '--patch', '5', '--image', '16', '--net', 'conv3c8')
    assert '25  (= P^2 = 5^2)' in text


def test_model_from_python_and_measure():
    text = run('memory', 'py:minigrad.models.pix2pix:PatchDiscriminator(6, ndf=4)', '--input', '6x32x32', '--measure')
    assert 'prediction error' in text
    rf = run('rf', 'py:minigrad.models.pix2pix:PatchDiscriminator(6,ndf=4)', '--input', '64', '--channels', '6')
    assert 'receptive field after' in rf and ': 70 pixels' in rf


def test_errors_are_reported():
    err = io.StringIO()
    assert main(['rf', 'conv3,fc10'], out=err) == 2
    with pytest.raises(SystemExit):
        main(['memory', 'conv3'])                 # --input is required


def test_help_subprocess():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd()] + sys.path))
    done = subprocess.run([sys.executable, '-m', 'minigrad.calc', 'memory', '--help'], capture_output=True,
                          text=True, env=env, check=True)
    for word in ('--input', '--batch', '--optimizer', '--measure', '--totals', 'MiB = 2^20', 'conv3x3*100'):
        assert word in done.stdout
