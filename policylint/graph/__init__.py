"""The connectivity graph: the engine's answers as a directed graph, and graph questions on it.

`build` turns the engine's matrix into a networkx graph whose nodes are groups of endpoints that
no edge tells apart; `paths` finds shortest multi-hop paths and blast radii on it; `export` writes
GraphML and GEXF. networkx is imported only when a graph is built, so `import policylint` stays
cheap.
"""
