"""Fusion of elementwise chains (filled in below)."""


def backend(name):
    return None
