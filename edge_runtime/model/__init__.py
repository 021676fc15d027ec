"""The emotion classifier at run time: the LiteRT model, its metadata sidecar, its op checks."""
