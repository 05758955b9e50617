"""Paths on the engine's connectivity, and the connectivity as a graph.

`rows` holds the engine's matrix rows over its equivalence classes, computed as needed; `paths`
finds shortest multi-hop paths and blast radii on them; `reasons` says which rules allow each
hop; `expect` checks path expectations; `build` makes the whole cluster a networkx graph of
groups of interchangeable endpoints joined through hubs; `export` writes GraphML and GEXF.
networkx is imported only when that graph is built, so `import policylint` stays cheap.
"""
