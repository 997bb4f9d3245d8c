"""The course: one runnable lesson per part of the lecture (see ``python -m lessons --list``)."""
