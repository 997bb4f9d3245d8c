"""Operations: each a :class:`minigrad.function.Function` with forward and backward side by side."""
