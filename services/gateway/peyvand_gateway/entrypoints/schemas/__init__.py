"""HTTP request and response models (XxxCreate / XxxUpdate / XxxPublic)."""
