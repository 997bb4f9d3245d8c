"""The lesson toolkit: claims with margins, asserted or only recorded, and plain progress lines."""
import json

import pytest

import lessons.common
from lessons.common import ClaimFailed, Lesson


def test_a_failed_claim_is_reported_after_outputs(out_root):
    lesson = Lesson('demo', quick=True, seed=3)
    lesson.slide('one is not two')
    lesson.claim('one is two', 1 == 2, one=1)
    with pytest.raises(ClaimFailed, match='one is two'):
        lesson.finish()
    saved = json.loads((out_root / 'demo' / 'results.json').read_text())
    assert saved['claims'][0]['holds'] is False and saved['seed'] == 3
    assert saved['slides'] == ['one is not two'] and saved['claims'][0]['slide'] == 0


def test_margin_decides_and_unasserted_claims_never_fail(out_root, capsys):
    lesson = Lesson('demo', quick=True)
    lesson.claim('bigger by more than 2', margin=5.0 - 3.0 - 2.0 + 0.5, big=5.0)
    lesson.claim('shaky in quick mode', margin=-0.1, asserted=False)
    results = lesson.finish()              # the unasserted failure does not raise
    first, second = results['claims']
    assert first['holds'] and first['margin'] == 0.5 and first['asserted']
    assert not second['holds'] and not second['asserted']
    assert 'recorded, not asserted' in capsys.readouterr().out
    with pytest.raises(ValueError, match='give holds, margin'):
        lesson.claim('no evidence')


def test_plain_progress_writes_a_few_lines_not_a_bar(capsys, monkeypatch):
    monkeypatch.delenv('MINIGRAD_NO_PROGRESS', raising=False)
    assert list(lessons.common._plain_progress(range(1000), 'steps')) == list(range(1000))
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 4 and lines[-1].strip().startswith('steps: 1000/1000')
