"""Peyvand policy service: products, rating, quotes, policies and renewals."""
