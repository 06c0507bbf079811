"""What changes in a policy's rating inputs from one term to the next (the renewal quote's inputs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .product_model import Product

# A year passes between terms: people are a year older and, absent claims (the policy
# service does not see claims yet), one more claim-free year is earned.
_ONE_MORE_YEAR = ("age", "no_claims_years", "vehicle_age")


def renewal_input_changes(product: Product, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Inputs that move by a year at renewal, each kept within the product's allowed range."""
    changes: dict[str, Any] = {}
    for spec in product.inputs:
        if spec.name not in _ONE_MORE_YEAR or spec.kind != "int" or not isinstance(inputs.get(spec.name), int):
            continue
        value = int(inputs[spec.name]) + 1
        if spec.maximum is not None:
            value = min(value, spec.maximum)
        changes[spec.name] = value
    return changes
