"""``python -m invharness.reference_impl`` is ``invharness serve``."""

from invharness.reference_impl.server import main

raise SystemExit(main())
