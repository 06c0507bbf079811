"""Pure customer domain: parties, identifiers, Persian text, merges and duplicate detection."""
