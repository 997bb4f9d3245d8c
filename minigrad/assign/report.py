"""Show a :class:`~minigrad.assign.grade.GradeReport`: an aligned table for the
terminal, and the results file Gradescope reads.

Gradescope's format (one JSON object written to ``/autograder/results/results.json``)::

    {"score": 7.5, "max_score": 10, "execution_time": 3.2, "output": "...",
     "tests": [{"name": ..., "score": ..., "max_score": ..., "output": ..., "visibility": ...}]}

Hidden tests get ``"visibility": "after_published"``: students see them once
the teacher publishes the grades.  Their feedback appears only there: the
table printed with ``show_hidden=False`` (what a Gradescope run prints) gives
their points, never their text.  Every test's output is capped (``clip``).
"""
import json
import os
import shutil
from pathlib import Path

from .judge import clip

_STATUS = {'passed': 'ok', 'partial': 'part', 'failed': 'FAIL', 'not run': 'FAIL'}


def _num(x):
    return f'{x:g}' if abs(x - round(x)) > 1e-9 else str(int(round(x)))


def _points(score, max_score):
    return f'{_num(score)}/{_num(max_score)}'


def _first_line(text):
    return (text or '').strip().splitlines()[0] if (text or '').strip() else ''


def format_table(report, width=None, details=True, show_hidden=True):
    """The results as text: one aligned row per test, then the full feedback of what failed.

    ``show_hidden=False``: hidden tests show their points only, no feedback.
    """
    width = width or max(80, min(shutil.get_terminal_size((120, 24)).columns, 160))
    tests = report.tests()
    name_w = max([len(t.name) for t in tests] + [4])
    task_w = max([len(t.task) for t in tests] + [4])
    pts_w = max([len(_points(t.score, t.points)) for t in tests] + [6])
    lines = []
    for a in report.assignments:
        title = f'Assignment {a.number}: {a.title}'
        score = _points(a.score, a.max_score)
        lines.append(f'{title}{" " * max(2, width - len(title) - len(score))}{score}')
        if a.note:
            lines.append(f'  {a.note}')
        if a.tests:
            lines.append(f'  {"":4}  {"test":<{name_w}}  {"task":<{task_w}}  {"points":>{pts_w}}  feedback')
        for t in a.tests:
            head = (f'  {_STATUS.get(t.status, "FAIL"):4}  {t.name:<{name_w}}  {t.task:<{task_w}}  '
                    f'{_points(t.score, t.points):>{pts_w}}  ')
            text = 'passed' if t.status == 'passed' else _first_line(t.feedback)
            if t.hidden and not show_hidden:
                text = '(hidden test)'
            room = max(20, width - len(head))
            lines.append(head + (text if len(text) <= room else text[:room - 1] + '…'))
        lines.append('')
    total = f'Total  {_points(report.score, report.max_score)}'
    lines.append(f'{" " * max(0, width - len(total))}{total}')
    failed = [t for t in tests if t.status != 'passed' and (show_hidden or not t.hidden)]
    if details and failed:
        lines += ['', 'Feedback on what did not pass:']
        for t in failed:
            lines.append(f'  {t.name} ({t.task}, {_points(t.score, t.points)} points)'
                         + (f' - {t.doc}' if t.doc else ''))
            lines += ['      ' + ln for ln in (t.feedback or '').strip().splitlines()]
    for w in report.warnings:
        if w not in [a.note for a in report.assignments]:
            lines.append(w)
    return '\n'.join(lines)


def gradescope(report):
    """The report as Gradescope's results dictionary."""
    tests = []
    for t in report.tests():
        output = clip('\n'.join(x for x in (t.doc, 'passed' if t.status == 'passed' else t.feedback) if x))
        entry = {'name': f'{t.task}: {t.name}', 'score': round(t.score, 4),
                 'max_score': round(t.points, 4), 'output': output}
        if t.hidden:
            entry['visibility'] = 'after_published'
        tests.append(entry)
    summary = '\n'.join(f'Assignment {a.number} ({a.title}): {_points(a.score, a.max_score)}'
                        + (f' - {a.note}' if a.note else '') for a in report.assignments)
    if report.warnings:
        summary += '\n' + '\n'.join(report.warnings)
    return {'score': round(report.score, 4), 'max_score': round(report.max_score, 4),
            'execution_time': round(report.seconds, 2), 'output': clip(summary), 'tests': tests}


def write_json(report, path):
    """Write Gradescope's results file atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + '.tmp')
    tmp.write_text(json.dumps(gradescope(report), indent=2, ensure_ascii=False) + '\n', encoding='utf-8')
    os.replace(tmp, path)
