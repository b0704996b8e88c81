"""python -m emotion COMMAND: the `emotion` command without installing the package (emotion/cli.py)."""

from .cli import main

raise SystemExit(main())
