"""Pictures: the recorded computation graph, and training (curves, gradient flow, kink hits, activations)."""
from .graph import Graph, graph
from .training import activation_histograms, gradient_flow, kink_hits, plot_history

__all__ = ["Graph", "graph", "plot_history", "gradient_flow", "kink_hits", "activation_histograms"]
