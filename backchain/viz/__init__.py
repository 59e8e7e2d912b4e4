"""Pictures: the recorded computation graph (and, with training, its curves)."""
from .graph import Graph, graph

__all__ = ["Graph", "graph"]
