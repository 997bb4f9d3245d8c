"""MACs per layer and the summary table."""
import numpy

import minigrad.nn as nn
from minigrad import calc


def test_conv_macs_by_formula():
    report = calc.count_flops('conv3c16,conv4s2c32,tconv4s2p1c8,fc10', (2, 3, 32, 32))
    macs = [r.macs for r in report]
    assert macs[0] == 2 * 32 * 32 * 16 * 3 * 9
    assert macs[1] == 2 * 16 * 16 * 32 * 16 * 16
    assert macs[2] == 2 * 16 * 16 * 32 * 8 * 16          # every input pixel scatters a 4x4 kernel
    assert macs[3] == 2 * (8 * 32 * 32) * 10
    assert report.flops == 2 * report.macs
    assert report.params == (16 * 27 + 16) + (32 * 16 * 16 + 32) + (32 * 8 * 16 + 8) + (8 * 32 * 32 * 10 + 10)
    assert 'FLOPs = 2 x MACs' in str(report)


def test_transpose_conv_costs_what_its_conv_costs():
    down = calc.count_flops('conv4s2p1c8', (1, 4, 16, 16))[0].macs
    up = calc.count_flops('tconv4s2p1c4', (1, 8, 8, 8))[0].macs
    assert down == up


def test_module_and_spec_agree():
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 8, 3, padding=1, groups=2), nn.ConvTranspose2d(8, 4, 4, 2, 1),
                          nn.Flatten(), nn.Linear(4 * 32 * 32, 10))
    got = calc.count_flops(model, (2, 3, 32, 32))
    assert [r.macs for r in got] == [2 * 32 * 32 * 16 * 27, 0, 0, 2 * 16 * 16 * 8 * 8 * 9,
                                     2 * 16 * 16 * 8 * 4 * 16, 0, 2 * 4096 * 10]
    assert got.params == sum(int(numpy.prod(p.shape)) for p in model.parameters())


def test_summary_table():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 8, 3, padding=1), nn.Identity(), nn.Flatten(), nn.Linear(8 * 8 * 8, 10))
    table = calc.summary(model, (1, 3, 16, 16))
    assert [r['shape'] for r in table] == ['1x8x16x16', '1x8x16x16', '1x8x8x8', '1x8x8x8', '1x8x8x8', '1x512',
                                           '1x10']
    assert [r['rf'] for r in table] == ['3', '3', '4', '8', '8', 'all', 'all']
    assert [r['activation'] for r in table] == [8 * 256 * 4, 8 * 256 * 4, 8 * 64 * 4, 8 * 64 * 4, 0, 0, 40]
    assert table.total('params') == sum(int(numpy.prod(p.shape)) for p in model.parameters())
    text = str(table)
    for word in ('layer', 'output shape', 'params', 'MACs', 'activation', 'RF', 'trainable'):
        assert word in text


def test_summary_of_a_unet_reports_the_bottleneck_field():
    from minigrad.models.unet import UNet
    model = UNet(3, 2, depth=2, base_width=4)
    table = calc.summary(model, (1, 3, 32, 32))
    assert table[-1]['rf'] == str(calc.receptive_field_paths(model).largest.rf_max[0])
