"""Which side of the face moved: the asymmetry of one frame's baseline-relative actions.

For each action measured on both sides, with L and R its left and right values relative to the
face's baseline (the person's sides), (|L| - |R|) / (|L| + |R|) is +1 when only the left side
moved, -1 when only the right did, 0 when both moved alike. An action counts only when it is
active: one side has moved by at least twice the smallest change events are found at (0.02
inter-ocular units; 0.04 for eye closure; 0.1 for the columns read from blendshapes), so still
faces and jitter give no asymmetry. A
frame's `asymmetry` is the index of its most active action, the one whose |L| + |R| is the
largest multiple of that threshold (empty when none is active): the movement that dominates the
frame, not the mesh's small sympathetic shifts elsewhere (a one-sided eye closure also moves the
mesh's mouth corners by a fifth as much), and not the most lateralised barely-active action.
"""

from __future__ import annotations

import math

from ..labels import SIDED_ACTIONS
from .events import FLOOR

ACTIVE = {a: 2 * FLOOR[a] for a in SIDED_ACTIONS}


def asymmetry(relative: dict[str, float]) -> float | None:
    """The signed lateralisation of the most active action (+: the person's left), or None."""
    best, strongest = None, 0.0
    for action in SIDED_ACTIONS:
        left, right = relative.get(f"{action}_left"), relative.get(f"{action}_right")
        if left is None or right is None or not (math.isfinite(left) and math.isfinite(right)):
            continue
        if max(abs(left), abs(right)) < ACTIVE[action]:
            continue
        strength = (abs(left) + abs(right)) / ACTIVE[action]
        if strength > strongest:
            best, strongest = (abs(left) - abs(right)) / (abs(left) + abs(right)), strength
    return best

