"""The gateway's use cases: sign-in and sessions, the directory, composing and syncing."""
