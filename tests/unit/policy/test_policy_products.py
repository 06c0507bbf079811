"""The product catalogue: every line is present, complete, and its inputs are checked by name."""

from __future__ import annotations

import pytest
from peyvand_policy.domain.product_model import TERM_DAYS, BandFactor, ChoiceFactor
from peyvand_policy.domain.products import get_product, list_products
from peyvand_runtime.domain import NotFound, Violations


def test_catalogue_sells_the_six_iranian_lines() -> None:
    codes = [p.code for p in list_products()]
    assert codes == ["motor_tpl", "motor_hull", "health_supp", "life_term", "fire_home", "travel"]
    assert get_product("motor_tpl").mandatory is True
    assert get_product("motor_tpl").name_fa == "بیمه شخص ثالث"
    assert get_product("motor_hull").name_fa == "بیمه بدنه خودرو"
    assert all(p.name_fa and p.name_en and p.coverages for p in list_products())


def test_terms_are_twelve_months_except_travel_in_days() -> None:
    for product in list_products():
        if product.code == "travel":
            assert (product.term.unit, product.term.min_days, product.term.max_days) == ("days", 7, 365)
        else:
            assert (product.term.unit, product.term.months) == ("months", (12,))


def test_unknown_product_is_product_not_found() -> None:
    with pytest.raises(NotFound) as raised:
        get_product("motor_xyz")
    assert raised.value.code == "PRODUCT_NOT_FOUND"


@pytest.mark.parametrize("product", list_products(), ids=lambda p: p.code)
def test_every_allowed_input_value_has_a_factor(product) -> None:  # type: ignore[no-untyped-def]
    """A catalogue gap would crash rating; every band and choice table covers its input."""
    specs = {spec.name: spec for spec in product.inputs}
    for factor in product.factors:
        if isinstance(factor, BandFactor):
            if factor.input == TERM_DAYS:
                low, high = product.term.min_days, product.term.max_days
            else:
                low, high = specs[factor.input].minimum, specs[factor.input].maximum
            for value in range(low, high + 1):
                assert factor.factor({factor.input: value}) > 0
        elif isinstance(factor, ChoiceFactor):
            spec = specs[factor.input]
            choices = spec.choices or ((True, False) if spec.kind == "bool" else ())
            assert set(choices) == set(factor.table)


def _check(product_code: str, raw: dict) -> tuple[dict, list[tuple[str, str]]]:  # type: ignore[type-arg]
    violations = Violations()
    values = get_product(product_code).check_inputs(raw, violations)
    return values, [(v.field, v.description) for v in violations.items]


def test_missing_unknown_and_out_of_range_inputs_are_named() -> None:
    _, found = _check("motor_tpl", {"vehicle_type": "tank", "engine_cc": 20, "no_claims_years": 16, "colour": "red"})
    fields = [field for field, _ in found]
    assert fields == ["inputs.colour", "inputs.vehicle_type", "inputs.usage", "inputs.engine_cc", "inputs.no_claims_years"]
    assert dict(found)["inputs.usage"] == "is required"
    assert dict(found)["inputs.engine_cc"] == "must be at least 50"


def test_zero_or_negative_sums_are_refused() -> None:
    for bad in (0, -5_000_000):
        _, found = _check("motor_hull", {**_hull(), "vehicle_value": bad})
        assert found == [("inputs.vehicle_value", "must be more than zero")]


def test_persian_digits_and_text_numbers_are_read() -> None:
    values, found = _check("motor_hull", {**_hull(), "vehicle_value": "۱۵٬۰۰۰٬۰۰۰٬۰۰۰", "deductible_percent": "20"})
    assert found == []
    assert values["vehicle_value"] == 15_000_000_000
    assert values["deductible_percent"] == 20


def test_wrong_types_are_refused() -> None:
    _, found = _check("life_term", {"sum_insured": True, "age": "سی", "cover_years": 10, "smoker": "maybe"})
    assert [f for f, _ in found] == ["inputs.sum_insured", "inputs.age", "inputs.smoker"]


def test_coverages_follow_inputs_and_zero_sums_are_left_off() -> None:
    fire = get_product("fire_home")
    lines = fire.coverage_lines({"building_value": 9_000_000_000, "contents_value": 0})
    assert [(line.code, line.sum_insured) for line in lines] == [("building_fire", 9_000_000_000)]
    life = get_product("life_term").coverage_lines({"sum_insured": 1_000_000_000})
    assert [(line.code, line.sum_insured) for line in life] == [("death", 1_000_000_000), ("accidental_death", 2_000_000_000)]
    basic = get_product("health_supp").coverage_lines({"plan_tier": "basic"})
    assert "dental" not in [line.code for line in basic]


def _hull() -> dict:  # type: ignore[type-arg]
    return {"vehicle_value": 15_000_000_000, "vehicle_type": "suv", "vehicle_age": 1, "deductible_percent": 10, "no_claims_years": 0}
