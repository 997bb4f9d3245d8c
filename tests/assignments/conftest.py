"""Graded tests of the classroom assignments (see docs/assignments.md).

Every test here is marked with its task (``@pytest.mark.a2_conv_backward``)
and its worth (``@pytest.mark.points(n)``, default 1); the markers are
registered below, so ``python -m pytest -m a2_conv_backward`` runs one task.
Tests in ``hidden/`` are left out of a release made with ``--no-hidden-tests``.
"""
from minigrad.assign.catalog import TASKS


def pytest_configure(config):
    config.addinivalue_line('markers', 'points(n): points a graded test is worth (default 1)')
    for tag in sorted(TASKS):
        config.addinivalue_line('markers', f'{tag}: graded test of assignment task {tag}')
