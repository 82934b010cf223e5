"""``python -m imagenet32`` and the ``imagenet32`` command."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
