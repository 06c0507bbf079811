"""Deterministic demo data for the customer service (seeding, load tests, importer fixtures)."""
