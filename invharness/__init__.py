"""invharness: a conformance harness for inventory-ingestion APIs of the Fluent Commerce kind.

This package is only the front door (the ``invharness`` command); the work lives in contracts/,
reference_impl/, generators/, suites/ and loadtests/.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
