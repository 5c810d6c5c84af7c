"""Model importers and the graph IR they produce."""
