"""Domain exceptions of the change-point library."""

from __future__ import annotations


class NotEnoughPoints(ValueError):
    """The series has too few observed (non-missing) points to judge a change."""
