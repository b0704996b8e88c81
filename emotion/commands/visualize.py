"""python -m emotion visualize IMAGE [--out FILE.png]: the image with its faces annotated, next
to a bar chart of each face's emotion probabilities."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..draw import charts
from ..errors import command
from ..io.image import load_image
from ..options import add_analysis_options, analyzer_from


@command
def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m emotion visualize", description=__doc__)
    p.add_argument("image", type=Path)
    p.add_argument("--out", type=Path, help="PNG to write (default: IMAGE.emotions.png beside the image)")
    add_analysis_options(p)
    args = p.parse_args(argv)
    image = load_image(args.image, max_pixels=args.max_pixels)
    faces = analyzer_from(args).analyze(image)
    out = args.out or args.image.with_name(args.image.stem + ".emotions.png")
    charts.save_figure(charts.image_with_faces_figure(image, faces, args.image.name), out)
    for i, face in enumerate(faces, 1):
        print(f"face #{i}: box {face.box} {face.emotion} {face.confidence * 100:.1f}%")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
