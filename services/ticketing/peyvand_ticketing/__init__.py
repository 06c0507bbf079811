"""Ticketing service: customer requests, complaints and incidents with SLAs, queues and agent tasks."""
