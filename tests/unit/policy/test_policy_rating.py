"""Rating: deterministic integer premiums, the 1,000-rial round-up, VAT line, factors and term checks."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from peyvand_policy.domain.products import get_product, list_products
from peyvand_policy.domain.rating import exact_premium, price, term_end_for
from peyvand_policy.domain.terms import end_of_term
from peyvand_runtime.domain import ValidationError
from policy_builders import SAMPLE_INPUTS, TERM_END, TODAY


def net(product_code: str, days: int = 30, **changes: Any) -> int:
    product = get_product(product_code)
    end = term_end_for(product, TODAY, days)
    return price(product, {**SAMPLE_INPUTS[product_code], **changes}, TODAY, end).net


@pytest.mark.parametrize("product", list_products(), ids=lambda p: p.code)
def test_every_product_prices_deterministically(product) -> None:  # type: ignore[no-untyped-def]
    end = term_end_for(product, TODAY, 30)
    first = price(product, SAMPLE_INPUTS[product.code], TODAY, end)
    again = price(product, dict(reversed(list(SAMPLE_INPUTS[product.code].items()))), TODAY, end)
    assert first == again
    assert first.net > 0 and first.net % 1000 == 0
    assert first.total == first.net + first.vat
    assert first.vat == first.net * product.vat_permille // 1000
    assert first.coverages


def test_motor_tpl_worked_example() -> None:
    # 70,000,000 × 1.15 (1,501–2,000 cc) × 0.85 (3 claim-free years) = 68,425,000 exactly.
    premium = price(get_product("motor_tpl"), SAMPLE_INPUTS["motor_tpl"], TODAY, TERM_END)
    assert premium.base == 70_000_000
    assert [(f.input, f.per_mille) for f in premium.factors] == [
        ("vehicle_type", 1000), ("usage", 1000), ("engine_cc", 1150), ("no_claims_years", 850)]
    assert (premium.net, premium.vat, premium.total) == (68_425_000, 6_842_500, 75_267_500)


def test_net_premium_is_rounded_up_to_the_next_thousand_rials() -> None:
    # 1.8% × 15,000,123,456 × 1.1 = 297,002,444.4288 -> 297,003,000
    hull = get_product("motor_hull")
    inputs = {**SAMPLE_INPUTS["motor_hull"], "vehicle_value": 15_000_123_456}
    premium = price(hull, inputs, TODAY, TERM_END)
    exact = exact_premium(hull, premium.inputs, TODAY, TERM_END)
    assert premium.net == 297_003_000
    assert exact < premium.net < exact + 1000


def test_minimum_premium_applies() -> None:
    # motorcycle, 10 claim-free years: 70M × 0.4 × 0.5 = 14M; life minimum 1,000,000
    assert net("motor_tpl", vehicle_type="motorcycle", engine_cc=125, no_claims_years=10) == 14_000_000
    assert net("life_term", sum_insured=100_000_000, age=18) == 1_000_000


def test_life_has_no_vat_line() -> None:
    premium = price(get_product("life_term"), SAMPLE_INPUTS["life_term"], TODAY, TERM_END)
    assert premium.vat == 0 and premium.total == premium.net


def test_no_claims_discount_lowers_motor_tpl_down_to_seventy_percent() -> None:
    prices = [net("motor_tpl", no_claims_years=years, engine_cc=1400) for years in range(16)]
    assert prices[0] == 70_000_000
    assert all(later < earlier for earlier, later in zip(prices[:14], prices[1:15], strict=True))
    assert prices[14] == prices[15] == 21_000_000  # capped at 70% off


def test_factors_move_the_price_the_right_way() -> None:
    assert net("motor_tpl", engine_cc=2500) > net("motor_tpl", engine_cc=1600) > net("motor_tpl", engine_cc=1200)
    assert net("motor_tpl", usage="taxi") > net("motor_tpl")
    assert net("motor_tpl", vehicle_type="truck") > net("motor_tpl") > net("motor_tpl", vehicle_type="motorcycle")
    assert net("motor_hull", vehicle_value=30_000_000_000) > net("motor_hull")
    assert net("motor_hull", deductible_percent=30) < net("motor_hull", deductible_percent=20) < net("motor_hull")
    assert net("motor_hull", vehicle_age=12) > net("motor_hull")
    assert net("health_supp", age=65) > net("health_supp", age=40) > net("health_supp", age=20)
    assert net("health_supp", plan_tier="gold") > net("health_supp") > net("health_supp", plan_tier="basic")
    assert net("health_supp", insured_count=4) > net("health_supp", insured_count=3) > net("health_supp")
    assert net("life_term", age=55) > net("life_term")
    assert net("life_term", smoker=True) > net("life_term")
    assert net("life_term", sum_insured=20_000_000_000) > net("life_term")
    assert net("fire_home", construction_type="other") > net("fire_home") > net("fire_home", construction_type="steel_concrete")
    assert net("fire_home", risk_zone=4) > net("fire_home") > net("fire_home", risk_zone=1)
    assert net("travel", days=90) > net("travel", days=30) > net("travel", days=10)
    assert net("travel", destination_zone="worldwide") > net("travel") > net("travel", destination_zone="neighbours")
    assert net("travel", age=80) > net("travel")


def test_family_discount_per_person() -> None:
    # 45M × 1.6 × 1.25 = 90M a person; four people get 5% off
    assert net("health_supp", insured_count=1) == 90_000_000
    assert net("health_supp", insured_count=4) == 342_000_000


def test_twelve_month_terms_run_in_jalali_months() -> None:
    assert end_of_term(dt.date(2026, 3, 21), 12) == dt.date(2027, 3, 20)  # 1405/01/01 -> 1405/12/29
    assert end_of_term(dt.date(2026, 9, 22), 12) == dt.date(2027, 9, 21)  # 1405/06/31 -> 1406/06/30
    # 1403/12/30 exists (leap); 1404/12/30 does not: the term ends on 1404/12/29
    assert end_of_term(dt.date(2025, 3, 20), 12) == dt.date(2026, 3, 20)


def _violations(error: ValidationError) -> dict[str, str]:
    return {v.field: v.description for v in error.violations}


def test_term_end_before_start_is_refused() -> None:
    with pytest.raises(ValidationError) as raised:
        price(get_product("motor_tpl"), SAMPLE_INPUTS["motor_tpl"], TODAY, TODAY - dt.timedelta(days=1))
    assert _violations(raised.value) == {"term_end": "must not be before term_start"}


def test_term_length_must_be_allowed_and_is_reported_with_bad_inputs() -> None:
    inputs = {**SAMPLE_INPUTS["motor_hull"], "vehicle_value": 0}
    with pytest.raises(ValidationError) as raised:
        price(get_product("motor_hull"), inputs, TODAY, dt.date(2026, 9, 21))
    assert _violations(raised.value) == {
        "term_end": "a 12-month term starting 1405/01/01 ends on 1405/12/29",
        "inputs.vehicle_value": "must be more than zero",
    }


@pytest.mark.parametrize("days, ok", [(6, False), (7, True), (365, True), (366, False)])
def test_travel_days_from_7_to_365(days: int, ok: bool) -> None:
    travel = get_product("travel")
    end = TODAY + dt.timedelta(days=days - 1)
    if ok:
        assert price(travel, SAMPLE_INPUTS["travel"], TODAY, end).net > 0
    else:
        with pytest.raises(ValidationError) as raised:
            price(travel, SAMPLE_INPUTS["travel"], TODAY, end)
        assert list(_violations(raised.value)) == ["term_end"]


@given(
    vehicle_type=st.sampled_from(["passenger_car", "motorcycle", "pickup", "truck", "bus"]),
    usage=st.sampled_from(["personal", "taxi", "commercial"]),
    engine_cc=st.integers(50, 16_000),
    no_claims_years=st.integers(0, 15),
)
def test_motor_tpl_rounding_property(vehicle_type: str, usage: str, engine_cc: int, no_claims_years: int) -> None:
    product = get_product("motor_tpl")
    inputs = {"vehicle_type": vehicle_type, "usage": usage, "engine_cc": engine_cc, "no_claims_years": no_claims_years}
    premium = price(product, inputs, TODAY, TERM_END)
    exact = exact_premium(product, premium.inputs, TODAY, TERM_END)
    assert premium.net == max(math.ceil(exact / 1000) * 1000, product.minimum_premium)
    assert premium == price(product, inputs, TODAY, TERM_END)
    if no_claims_years < 15:
        assert price(product, {**inputs, "no_claims_years": no_claims_years + 1}, TODAY, TERM_END).net <= premium.net
