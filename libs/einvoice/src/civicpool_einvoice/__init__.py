"""E-invoices validated by the official rules: see validation.py and rules/SOURCES.md."""
