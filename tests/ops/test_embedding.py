"""one_hot and embedding (ops/embedding.py): values, gradients (padding_idx gets none),
gradgradcheck, torch's results and errors."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad.testing import as_numpy, assert_close, t64


def test_one_hot_values_dtype_and_inferred_classes():
    idx = mg.tensor([[0, 2], [1, 2]])
    out = F.one_hot(idx)
    assert out.dtype == np.int64 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(as_numpy(out), np.eye(3, dtype=np.int64)[[[0, 2], [1, 2]]])
    assert F.one_hot(mg.tensor([1]), num_classes=4).tolist() == [[0, 1, 0, 0]]
    assert F.one_hot(mg.tensor(np.zeros(0, dtype=np.int64)), 3).shape == (0, 3)
    assert not F.one_hot(mg.tensor([0, 1]), 2).requires_grad


def test_one_hot_errors_as_torch():
    with pytest.raises(RuntimeError, match='one_hot: class values must be non-negative'):
        F.one_hot(mg.tensor([0, -1]))
    with pytest.raises(RuntimeError, match='one_hot: class values must be smaller than num_classes=3'):
        F.one_hot(mg.tensor([0, 3]), 3)
    with pytest.raises(RuntimeError, match='one_hot: can not infer the number of classes from an empty tensor'):
        F.one_hot(mg.tensor(np.zeros(0, dtype=np.int64)))
    with pytest.raises(RuntimeError, match='one_hot: num_classes must be -1 or >= 0'):
        F.one_hot(mg.tensor([1]), -2)
    with pytest.raises(TypeError, match='one_hot: expected a Tensor of integer class indices, got dtype float32'):
        F.one_hot(mg.tensor([0.0, 1.0]))


def test_embedding_picks_rows_and_scatters_gradients(rng):
    w = rng.standard_normal((5, 3))
    idx = np.array([[1, 4, 1], [0, 1, 2]])
    weight = t64(w)
    out = F.embedding(mg.tensor(idx), weight)
    assert_close(out, w[idx], rtol=0, atol=0)
    g = rng.standard_normal((2, 3, 3))
    out.backward(mg.tensor(g))
    expected = np.zeros_like(w)
    np.add.at(expected, idx, g)
    assert_close(weight.grad, expected, rtol=1e-12)


def test_embedding_padding_row_gets_no_gradient_and_differentiates_twice(rng):
    w = rng.standard_normal((4, 2))
    idx = mg.tensor([0, 3, 3, 1])
    weight = t64(w)
    F.embedding(idx, weight, padding_idx=-1).sum().backward()
    assert_close(weight.grad, [[1, 1], [1, 1], [0, 0], [0, 0]])
    # (finite differences see the padding row's values; only an unused padding row can be checked)
    assert mg.gradcheck(lambda w: F.embedding(idx, w, padding_idx=2), [t64(w)])
    assert mg.gradgradcheck(lambda w: F.embedding(idx, w, padding_idx=3) ** 2, [t64(w)])


def test_against_torch(rng):
    torch = pytest.importorskip('torch')
    w = rng.standard_normal((6, 4))
    idx = np.array([[5, 0, 2], [2, 2, 1]])
    g = rng.standard_normal((2, 3, 4))
    ours, theirs = t64(w), torch.tensor(w, requires_grad=True)
    out = F.embedding(mg.tensor(idx), ours, padding_idx=2)
    ref = torch.nn.functional.embedding(torch.tensor(idx), theirs, padding_idx=2)
    assert_close(out, ref.detach().numpy(), rtol=0, atol=0)
    out.backward(mg.tensor(g))
    ref.backward(torch.tensor(g))
    assert_close(ours.grad, theirs.grad.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(as_numpy(F.one_hot(mg.tensor(idx), 7)),
                                  torch.nn.functional.one_hot(torch.tensor(idx), 7).numpy())


def test_embedding_errors():
    w = mg.randn(4, 2)
    with pytest.raises(IndexError, match=r'embedding: index out of range: indices must lie in \[0, 4\)'):
        F.embedding(mg.tensor([0, 4]), w)
    with pytest.raises(TypeError, match='embedding: expected a Tensor of integer class indices'):
        F.embedding(mg.tensor([0.0]), w)
    with pytest.raises(ValueError, match=r'embedding: weight must be 2-D'):
        F.embedding(mg.tensor([0]), mg.randn(4))
    with pytest.raises(ValueError, match='embedding: padding_idx must be within num_embeddings'):
        F.embedding(mg.tensor([0]), w, padding_idx=4)
    with pytest.raises(ValueError, match='embedding: max_norm, scale_grad_by_freq and sparse are not supported'):
        F.embedding(mg.tensor([0]), w, max_norm=1.0)
