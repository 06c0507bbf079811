"""Pure ticketing domain: business calendar, SLA, priority, tickets, assignment and tasks."""
