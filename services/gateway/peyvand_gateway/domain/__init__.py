"""The gateway's pure rules: people, the org directory, sessions, throttling, masking, problems."""
