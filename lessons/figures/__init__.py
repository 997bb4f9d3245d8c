"""Plotting helpers for the lessons: one module per lesson that needs more than a few lines,
so the lesson itself reads like the lecture (compute, then claim)."""
