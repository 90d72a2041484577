"""Check modules, one per exercise notebook; each defines ``EXERCISES``."""
