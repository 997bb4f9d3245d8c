"""Every Python block in README.md and docs/*.md runs as pasted.

A file's blocks run in order in one namespace (as a reader pastes them top to
bottom into one session), in a temporary folder.  Blocks that import torch are
skipped when torch is not installed.
"""
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
FILES = [ROOT / 'README.md'] + sorted((ROOT / 'docs').glob('*.md'))
BLOCK = re.compile(r'^```python\n(.*?)^```', re.S | re.M)


def python_blocks(path):
    text = path.read_text(encoding='utf-8')
    return [(text.count('\n', 0, m.start()) + 2, m.group(1)) for m in BLOCK.finditer(text)]


@pytest.mark.parametrize('path', [f for f in FILES if python_blocks(f)], ids=lambda p: p.name)
def test_python_blocks_run_as_pasted(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('MINIGRAD_NO_PROGRESS', '1')
    namespace = {'__name__': '__docs__'}
    for line, source in python_blocks(path):
        if re.search(r'^\s*import torch|^\s*from torch', source, re.M):
            pytest.importorskip('torch')
        code = compile(source, f'{path.name}:{line}', 'exec')
        exec(code, namespace)   # noqa: S102 -- our own documentation, the point of the test


def test_the_files_have_blocks_to_check():
    assert sum(len(python_blocks(f)) for f in FILES) >= 10
