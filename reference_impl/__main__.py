"""``python -m reference_impl`` is ``invharness serve``."""

from reference_impl.server import main

raise SystemExit(main())
