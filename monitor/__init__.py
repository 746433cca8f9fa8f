"""regwatch: a regulatory-status change monitor for compounded substances."""

__version__ = "0.1.0"
