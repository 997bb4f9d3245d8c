"""The command line: each slide number from one command."""
import contextlib
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


# ----------------------------------------------------------------------------- bad input (issue 20)

def refused(*argv):
    """The one line main() printed on stderr for input it refused (status 2; argparse's own errors too)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            status = main(list(argv), out=io.StringIO())
        except SystemExit as exit_:          # argparse: usage + one error line, status 2
            status = exit_.code
    assert status == 2, argv
    lines = [line for line in err.getvalue().splitlines() if not line.startswith((' ', 'usage:'))]
    assert len(lines) == 1 and 'error' in lines[0] and 'Traceback' not in err.getvalue(), err.getvalue()
    return lines[0]


@pytest.mark.parametrize('argv, words', [
    (['rf', 'tconv4s2p1op9'], 'output_padding'),          # used to print an RF of 2
    (['rf', 'up2bb'], "'b' given twice"),
    (['rf', '--path', '=conv3'], 'NAME=SPEC'),
    (['rf', '--path', 'a=conv3', '--path', 'a=conv5'], 'twice'),
    (['layers', '0'], 'positive'),
    (['layers', '-5'], 'positive'),
    (['memory', 'conv3c8', '--input', '3x8x8', '--batch', '-1'], 'positive'),   # printed "-1,280 bytes"
    (['memory', 'conv3c8', '--input', '3x8x8', '--batch', '0'], 'positive'),    # ZeroDivisionError
    (['memory', 'conv3c8', '--input', '3x8x8', '--dtype', 'object'], 'float32'),
    (['memory', 'conv3c8', '--input', '3x8x8', '--dtype', 'bogus'], 'float32'),
    (['memory', 'conv3c0', '--input', '3x8x8'], 'out_channels'),               # c0 read as "same"
    (['rf', 'up99999999999999'], 'too large'),                                   # never returned
    (['rf', 'conv3x3*100000000'], 'repeat count'),                               # ran out of memory
    (['rf', 'up2*40'], 'stops at'),
    (['redundancy', '--patch', '3', '--image', '30000'], 'image size'),          # a 6.7 GiB array
    (['rf', 'conv99999999999999999999'], 'too large'),                           # OverflowError
    (['memory', 'conv3c8', '--input', '99999999999999999999x8x8'], 'below 2**31'),
    (['rf', 'py:nosuch.module:f()'], 'allowed packages'),                         # ModuleNotFoundError
    (['rf', 'py:minigrad.models:Nope()'], 'no public factory'),                   # AttributeError
    (['rf', 'py:minigrad.models:UNet(depth=-1)'], 'failed: TypeError'),
    (['rf', 'py:minigrad.models:UNet(3), __import__("os")'], 'literal'),
    (['rf', 'py:minigrad.models.pix2pix:PatchDiscriminator(6)'], '--input'),
])
def test_bad_input_gives_one_line_and_status_2(argv, words):
    assert words in refused(*argv)


def test_redundancy_of_a_net_without_macs():
    assert 'no ratio' in run('redundancy', '--patch', '3', '--net', 'up2')         # was ZeroDivisionError


def test_py_models_run_no_code_from_outside_the_allowlist(tmp_path):
    marker = tmp_path / 'ran'
    assert 'allowed packages' in refused('rf', f"py:os:system('touch {marker}')")   # used to run it
    assert 'no public factory' in refused('rf', f"py:os:system('touch {marker}')", '--allow-module', 'os')
    assert 'literal' in refused('rf', f"py:minigrad.models:UNet(__import__('os').system('touch {marker}'))")
    assert not marker.exists()
    assert 'allowed packages' in refused('rf', 'py:minigrad.nn:Conv2d(3, 8, 5)', '--input', '16')
    text = run('rf', 'py:minigrad.nn:Conv2d(3, 8, 5)', '--input', '16', '--allow-module', 'minigrad.nn')
    assert 'receptive field after 1 layers: 5 pixels' in text


def test_rf_of_a_unet_prints_every_path():
    text = run('rf', "py:minigrad.models:UNet(1, 2, depth=4, base_width=1, padding='valid')")
    assert 'receptive field of the whole net: 188..204' in text and 'bottleneck' in text
