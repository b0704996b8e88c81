"""Actions against a face's own baseline, written once for the timeline, the summary and the live tab.

A face's raw action measurements depend on its shape (a wide mouth, low brows), so every output
reports them relative to the face's neutral baseline (`FaceDynamics.measure_baseline`: the
median of the frames the CNN calls neutral). From the relative values come each frame's
asymmetry (`asymmetry.asymmetry`: which side moved) and, over a face's frames, how often one
side led (the events' LATERAL rule).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..labels import RELATIVE_NAMES
from .asymmetry import asymmetry
from .events import LATERAL


def relative_to(values: dict[str, float | None], baseline: dict[str, float], names=RELATIVE_NAMES) -> dict[str, float]:
    """`values` minus `baseline`, for the names that have a finite value and a finite baseline."""
    out = {}
    for name in names:
        value = values.get(name)
        if value is not None and math.isfinite(value) and math.isfinite(baseline[name]):
            out[name] = value - baseline[name]
    return out


@dataclass
class AsymmetryTally:
    """One face's frames with an active action, and which side led them (|asymmetry| >= LATERAL)."""

    active: int = 0
    total: float = 0.0
    left: int = 0
    right: int = 0

    def add(self, relative: dict[str, float]) -> float | None:
        """Count one frame's relative actions; returns the frame's asymmetry (None: no active action)."""
        index = asymmetry(relative)
        if index is not None:
            self.active += 1
            self.total += abs(index)
            self.left += index >= LATERAL
            self.right += index <= -LATERAL
        return index

    def summary(self, frames: int) -> dict:
        """How asymmetric the face's movements were: among its frames with an active action, the
        mean |asymmetry| and the shares led by one side."""
        active = self.active
        return {"frames_with_active_action": active, "share_of_frames_with_active_action": round(active / max(frames, 1), 4),
                "mean_abs_asymmetry": round(self.total / active, 4) if active else None,
                "share_left_led": round(self.left / active, 4) if active else None,
                "share_right_led": round(self.right / active, 4) if active else None}
