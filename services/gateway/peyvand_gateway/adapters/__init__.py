"""The gateway's adapters: its own small database, password hashing, tokens, backend clients."""
