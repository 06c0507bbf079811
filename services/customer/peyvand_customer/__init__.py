"""Peyvand customer service: parties (persons and organisations), contacts, consent and merges."""
