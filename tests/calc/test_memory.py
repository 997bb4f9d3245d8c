"""Memory: the slide's arithmetic, optimizer state, and prediction vs minigrad.graph_bytes."""
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad import calc
from minigrad.calc.memory import describe, slide_numbers
from minigrad.calc.table import human_bytes, mb, mib


def test_slide_numbers():
    per_layer, total = slide_numbers()          # 200 channels, 400x400, 100 layers, batch 20
    assert per_layer == 200 * 400 * 400 * 4 == 128_000_000
    assert mib(per_layer) == '122.07 MiB' and mb(per_layer) == '128.00 MB'
    assert total == 256_000_000_000
    assert mib(total) == '238.42 GiB' and mb(total) == '256.00 GB'
    assert describe(per_layer) == '128,000,000 bytes = 128.00 MB = 122.07 MiB'
    assert human_bytes(total) == '256.00 GB = 238.42 GiB'


def test_slide_network_by_spec():
    one = calc.memory('conv3x3c200', (1, 200, 400, 400))
    assert one.rows[0].activation == 128_000_000 and one.rows[0].out_shape == (1, 200, 400, 400)
    report = calc.memory('conv3x3c200*100', (200, 400, 400), batch=20, optimizer='sgd')
    assert report.activations == 256_000_000_000
    assert f"{report.activations / 2 ** 30:.1f}" == '238.4'
    weights = 100 * (200 * 200 * 9 + 200) * 4
    assert report.params == report.grads == weights and report.optimizer_state == 0
    # each conv saves its (unpadded) input and its weight
    assert report.graph == 20 * 200 * 400 * 400 * 4 * 100 + 100 * 200 * 200 * 9 * 4
    text = str(report)
    assert '238.42 GiB' in text and '256.00 GB' in text and 'MiB = 2^20' in text


@pytest.mark.parametrize('optimizer, factor', [('sgd', 0), ('momentum', 1), ('adam', 2)])
def test_optimizer_state(optimizer, factor):
    report = calc.memory('conv3c8,conv3c8', (1, 3, 8, 8), optimizer=optimizer)
    params = ((8 * 3 * 9 + 8) + (8 * 8 * 9 + 8)) * 4
    assert report.params == params and report.optimizer_state == factor * params
    assert report.training_total == 2 * params + factor * params + report.graph_activations
    with pytest.raises(ValueError, match='optimizer'):
        calc.memory('conv3', (1, 3, 8, 8), optimizer='lbfgs')


def conv_stack():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(16, 16, 3, padding=1, padding_mode='reflect'),
        nn.InstanceNorm2d(16, affine=True), nn.Tanh(), nn.AvgPool2d(2), nn.Dropout(0.3),
        nn.ConvTranspose2d(16, 8, 4, 2, 1), nn.Upsample(scale_factor=2, mode='bilinear'), nn.Sigmoid(),
        nn.Conv2d(8, 4, 1), nn.Flatten(), nn.Linear(4 * 32 * 32, 5))


class TinyUNet(nn.Module):
    """Two levels, max-pool down, transposed-conv up, copies concatenated (built from nn layers)."""

    def __init__(self, c=4):
        super().__init__()
        block = lambda a, b: nn.Sequential(nn.Conv2d(a, b, 3, padding=1), nn.ReLU(),  # noqa: E731
                                           nn.Conv2d(b, b, 3, padding=1), nn.ReLU())
        self.enc0, self.enc1, self.mid = block(3, c), block(c, 2 * c), block(2 * c, 4 * c)
        self.pool0, self.pool1 = nn.MaxPool2d(2), nn.MaxPool2d(2)
        self.up1, self.up0 = nn.ConvTranspose2d(4 * c, 2 * c, 2, 2), nn.ConvTranspose2d(2 * c, c, 2, 2)
        self.dec1, self.dec0 = block(4 * c, 2 * c), block(2 * c, c)
        self.head = nn.Conv2d(c, 2, 1)

    def forward(self, x):
        a = self.enc0(x)
        b = self.enc1(self.pool0(a))
        z = self.mid(self.pool1(b))
        y = self.dec1(mg.cat([b, self.up1(z)], 1))
        return self.head(self.dec0(mg.cat([a, self.up0(y)], 1)))


def close(report):
    assert report.measured_graph > 0
    return abs(report.graph - report.measured_graph) <= 0.05 * report.measured_graph


def test_predicted_graph_equals_measured_conv_stack():
    report = calc.measure(conv_stack(), (2, 3, 32, 32))
    assert close(report), (report.graph, report.measured_graph)
    assert report.graph_params == report.measured_graph_params
    for row in report.rows:   # layer by layer too
        assert abs(row.saved - row.measured) <= 0.05 * max(row.measured, 1), row


def test_predicted_graph_equals_measured_unet():
    report = calc.measure(TinyUNet(), (2, 3, 16, 16))
    assert close(report), (report.graph, report.measured_graph)
    unet = pytest.importorskip('minigrad.models.unet')
    for kw in (dict(), dict(up='upsample', norm='batch'), dict(up='unpool', norm='instance')):
        report = calc.measure(unet.UNet(3, 2, depth=2, base_width=4, **kw), (2, 3, 16, 16))
        assert close(report), (kw, report.graph, report.measured_graph)


def test_activations_and_shapes_by_trace():
    report = calc.memory(TinyUNet(), (2, 3, 16, 16))
    shapes = [r.out_shape for r in report.rows]
    assert shapes[0] == (2, 4, 16, 16) and shapes[-1] == (2, 2, 16, 16)
    assert report.activations == sum(r.activation for r in report.rows)
    assert report.params == sum(p.array.nbytes for p in TinyUNet().parameters())
    identity = calc.memory(nn.Sequential(nn.Conv2d(3, 4, 3), nn.Identity()), (1, 3, 8, 8))
    assert identity.rows[1].activation == 0      # the same array as the conv's output
    assert 'graph' in str(report)


def test_measure_under_no_grad_input_and_frozen_weights():
    model = nn.Sequential(nn.ReLU(), nn.Conv2d(3, 4, 3))
    report = calc.measure(model, (1, 3, 8, 8))
    assert report.rows[0].saved == 0 and report.rows[0].measured == 0   # relu of the input: no graph
    assert close(report)
