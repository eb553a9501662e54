"""``python -m fastseg``: the ``fastseg`` command."""

import sys

try:
    from .cli import main
except KeyboardInterrupt:  # while the command's modules load: before any work, nothing to undo
    print("fastseg: interrupted", file=sys.stderr)
    raise SystemExit(130) from None

raise SystemExit(main())
