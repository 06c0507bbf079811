"""Pure policy domain: products, rating, quotes, the policy lifecycle, renewals and numbering."""
