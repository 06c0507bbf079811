"""Pure campaign domain: templates, consent, timing, journeys, segments, campaigns and deliveries."""
