"""Stage 5, build: one small builder per kind; each returns `Manifest`s (plain dicts + origin). No I/O."""
