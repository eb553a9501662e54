"""``python -m fastseg``: the ``fastseg`` command."""

from .cli import main

raise SystemExit(main())
