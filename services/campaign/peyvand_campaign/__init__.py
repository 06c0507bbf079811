"""Campaign service: consent-aware SMS, email and push journeys and broadcasts for insurers."""
