"""policylint: an offline static analyzer and linter for Kubernetes NetworkPolicy."""
__version__ = "0.1.0"
