"""Services: the only code that changes state. One module per area, plus access.py (who may act for
what) and validation.py (every check of a payload against the contract)."""
