"""Per-pixel rules: pure functions on arrays with units in their docstrings."""
