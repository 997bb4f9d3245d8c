"""The course runner: listing and choosing lessons."""
from lessons import __main__ as runner


def test_runner_lists_every_lesson(capsys):
    assert runner.main(['--list']) == 0
    listed = capsys.readouterr().out
    for n in range(1, 9):
        assert f'l0{n}_' in listed
