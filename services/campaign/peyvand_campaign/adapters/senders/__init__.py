"""Channel senders behind one interface (``base.Sender``): SMS, email and push."""
