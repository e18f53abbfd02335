"""Line differences between two texts, shared by every history page (knowledge-base article
versions, peer-help revisions). Rendered by templates/includes/diff.html."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same" | "added" | "removed"
    text: str


def line_diff(old: Sequence[str], new: Sequence[str]) -> list[DiffLine]:
    """Every line of both texts in order, each marked same, removed (only in `old`) or added
    (only in `new`); a changed line is its removed then its added form."""
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            lines += [DiffLine("same", text) for text in old[i1:i2]]
            continue
        lines += [DiffLine("removed", text) for text in old[i1:i2]]
        lines += [DiffLine("added", text) for text in new[j1:j2]]
    return lines
