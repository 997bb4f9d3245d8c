"""The small classifier: shapes, named intermediate representations via hooks, and the rewrite
of its dense layers as convolutions (same numbers on the original size, a score map on bigger ones)."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.models import Classifier
from minigrad.testing import assert_close


@pytest.mark.parametrize('input_size,in_channels', [(8, 1), (12, 3), (28, 1)])
def test_shapes(input_size, in_channels):
    model = Classifier(in_channels, num_classes=7, width=4, input_size=input_size)
    x = mg.randn(5, in_channels, input_size, input_size)
    assert model(x).shape == (5, 7)
    assert model.embed(x).shape == (5, 16)                       # the CNN code: 4·width
    with pytest.raises(ValueError, match='as_fully_convolutional'):
        model(mg.randn(1, in_channels, input_size + 4, input_size + 4))
    with pytest.raises(ValueError, match='multiple of 4'):
        Classifier(input_size=10)


def test_features_are_the_intermediate_outputs(rng):
    model = Classifier(width=4)
    x = mg.tensor(rng.standard_normal((3, 1, 8, 8)).astype(np.float32))
    feats = model.features(x, ['conv1', 'pool2', 'fc1', 'code', 'logits'])
    assert feats['conv1'].shape == (3, 4, 8, 8) and feats['pool2'].shape == (3, 8, 2, 2)
    assert_close(feats['code'], feats['fc1'].relu())             # code = ReLU(fc1)
    assert_close(feats['logits'], model(x))
    assert_close(model.fc2(feats['code']), model(x), rtol=1e-5)
    assert (feats['code'].numpy() >= 0).all()
    assert not model.conv1._forward_hooks and not model.relu3._forward_hooks   # hooks removed again
    with pytest.raises(ValueError, match='no layer'):
        model.features(x, 'conv9')


def test_fully_convolutional_equals_the_classifier_on_the_original_size(rng):
    model = Classifier(width=4, input_size=12)
    fcn = model.as_fully_convolutional()
    x = mg.tensor(rng.standard_normal((4, 1, 12, 12)).astype(np.float32))
    out = fcn(x)
    assert out.shape == (4, 10, 1, 1)
    assert_close(out.reshape(4, 10), model(x), rtol=1e-5, atol=1e-6)
    # bigger input -> a map of class scores, one per 12x12 window (stride 4)
    assert fcn(mg.randn(2, 1, 40, 32)).shape == (2, 10, 8, 6)
    # the copy is independent of the original
    fcn.fc1.weight.array[...] = 0
    assert np.abs(model.fc1.weight.numpy()).sum() > 0
