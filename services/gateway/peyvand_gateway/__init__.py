"""Peyvand gateway: the only door for people — auth, the org directory and the HTTP APIs."""
