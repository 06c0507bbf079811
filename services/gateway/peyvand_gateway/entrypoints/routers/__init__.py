"""HTTP routers: one per area, each with its prefix and tags."""
