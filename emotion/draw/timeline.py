"""The video timeline figure (NAME.timeline.png): each main face's emotion probabilities over
time, one panel per face, with its valence (dashed, right axis), events shaded."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..labels import EMOTIONS, valence
from .charts import rgb01

MAX_FACES = 3
EVENT_STYLE = {"micro": ("crimson", 0.25), "movement": ("darkorange", 0.12), "episode": ("steelblue", 0.08)}


def timeline_figure(times: np.ndarray, face_ids: np.ndarray, probs: np.ndarray, no_face_times: np.ndarray,
                    title: str, events=()) -> Figure:
    """times/face_ids/probs: one entry per analysed face row; the most-seen faces get a panel.
    Lines are lightly smoothed (centred moving average over ~0.5 s) so trends read at a glance.
    Events are shaded bands from onset to offset (micro red, movement orange, episode blue),
    micro events labelled with their region and a tick at the apex."""
    ids, counts = np.unique(face_ids, return_counts=True) if len(face_ids) else (np.array([]), np.array([]))
    main = ids[np.argsort(-counts)][:MAX_FACES]
    panels = max(1, len(main))
    fig = Figure(figsize=(12, 2.8 * panels + 0.9), layout="constrained")
    axes = fig.subplots(panels, 1, sharex=True, squeeze=False)
    end = float(max(times.max() if len(times) else 0, no_face_times.max() if len(no_face_times) else 0, 1e-3))
    for ax, face_id in zip(axes[:, 0], main if len(main) else [None]):
        if face_id is None:
            ax.text(0.5, 0.5, "no face found in this video", ha="center", va="center", transform=ax.transAxes)
        else:
            sel = face_ids == face_id
            t, p = times[sel], probs[sel]
            step = np.median(np.diff(t)) if len(t) > 1 else 1.0
            k = int(max(1, min(len(t), round(0.5 / max(step, 1e-3)))))
            kernel = np.ones(k) / k
            smoothed = np.stack([np.convolve(np.pad(p[:, i], (k // 2, k - 1 - k // 2), mode="edge"), kernel, mode="valid")
                                 for i in range(len(EMOTIONS))], axis=1)
            for i, e in enumerate(EMOTIONS):
                ax.plot(t, smoothed[:, i], color=rgb01(e), lw=1.6, label=e)
            right = ax.twinx()
            right.plot(t, valence(smoothed), color="black", lw=1.1, ls="--", label="valence (right axis)")
            right.axhline(0, color="black", lw=0.5, alpha=0.4)
            right.set_ylim(-1.08, 1.08)
            right.set_ylabel("valence")
            own = [e for e in events if e.face_id == face_id]
            for e in own:
                colour, alpha = EVENT_STYLE.get(e.kind, ("gray", 0.1))
                ax.axvspan(e.onset_s, max(e.offset_s, e.onset_s + step), color=colour, alpha=alpha, lw=0)
                if e.kind == "micro":
                    ax.plot([e.apex_s], [0.97], marker="v", color=colour, ms=5)
                    ax.text(e.apex_s, 0.9, e.regions, fontsize=6, color=colour, ha="center", rotation=90, va="top")
            counts = ", ".join(f"{sum(e.kind == k for e in own)} {k}" for k in EVENT_STYLE)
            ax.set_title(f"face {face_id}: {int(sel.sum())} analysed frames; events: {counts}", fontsize=10, loc="left")
        if len(no_face_times):
            ax.scatter(no_face_times, np.full(len(no_face_times), -0.03), marker="|", color="0.5", s=30, label="no face")
        ax.set_ylim(-0.06, 1.02)
        ax.set_xlim(0, end)
        ax.set_ylabel("probability")
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("time (s)")
    fig.suptitle(title)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if len(main):
        handles.append(Line2D([], [], color="black", lw=1.1, ls="--"))
        labels.append("valence (right axis)")
    for kind, (colour, alpha) in EVENT_STYLE.items():
        handles.append(Patch(color=colour, alpha=min(1.0, alpha * 2)))
        labels.append(f"{kind} event")
    fig.legend(handles, labels, ncol=len(labels), fontsize=8, loc="outside lower center")
    return fig
