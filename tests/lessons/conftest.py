"""Shared helpers for the lesson tests: run a lesson in quick mode into a temporary
folder and check what every lesson must write (results.json, PNG figures, claims)."""
import json
import os

import pytest

import lessons.common


@pytest.fixture
def out_root(tmp_path, monkeypatch):
    """Lesson outputs go to a temporary folder; progress bars stay quiet."""
    # lessons.common reads MINIGRAD_LESSONS_OUT once, at import: patch the module's value too.
    monkeypatch.setenv('MINIGRAD_LESSONS_OUT', str(tmp_path))
    monkeypatch.setenv('MINIGRAD_NO_PROGRESS', '1')
    monkeypatch.setattr(lessons.common, 'OUT_ROOT', str(tmp_path))
    return tmp_path


@pytest.fixture
def run_quick(out_root):
    """``run_quick(module, seed=0)``: run a lesson in quick mode and return its saved results."""
    def run(module, seed=0):
        returned = module.run(quick=True, seed=seed)
        name = module.__name__.split('.')[-1]
        folder = out_root / name
        saved = json.loads((folder / 'results.json').read_text())
        assert saved == json.loads(json.dumps(returned))
        assert saved['lesson'] == name and saved['quick'] is True and saved['seed'] == seed
        assert saved['figures'], 'the lesson wrote no figures'
        for fig in saved['figures']:
            path = folder / fig
            assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n' and os.path.getsize(path) > 5000, fig
        assert saved['claims'], 'the lesson checked no claims'
        for claim in saved['claims']:
            assert claim['holds'] or not claim['asserted'], claim
        return saved
    return run
