"""The product catalogue: lines of insurance sold in Iran with their inputs, coverages and rating tables."""

# All rials figures and factors below are ILLUSTRATIVE 1405 (2026) numbers chosen to be
# plausible, not a tariff of Bimeh Markazi or of any insurer. Factors are per-mille integers
# (1150 = ×1.15) and rates are exact fractions, so rating never touches floats; rating.py
# rounds the final net premium UP to the next 1,000 rials.

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from types import MappingProxyType

from peyvand_runtime.domain import NotFound

from .product_model import (
    TERM_DAYS,
    BandFactor,
    ChoiceFactor,
    Coverage,
    FixedBase,
    PerUnitFactor,
    Product,
    RateOnValue,
    RatingInput,
    TermRule,
)

ANNUAL = TermRule("months", months=(12,))
STANDARD_VAT_PERMILLE = 100  # 10% VAT on the net premium, a separate line
DIYAH_1405 = 20_000_000_000  # illustrative blood money of the year: the TPL bodily-injury limit

# Motor third-party no-claims discount: 5% per claim-free year, capped at 70% (year 14+).
_TPL_NO_CLAIMS = tuple((years, years, 1000 - min(50 * years, 700)) for years in range(16))

MOTOR_TPL = Product(
    code="motor_tpl",
    name_fa="بیمه شخص ثالث",
    name_en="Motor third-party liability",
    line="motor",
    mandatory=True,
    inputs=(
        RatingInput("vehicle_type", "نوع خودرو", "choice", choices=("passenger_car", "motorcycle", "pickup", "truck", "bus")),
        RatingInput("usage", "نوع کاربری", "choice", choices=("personal", "taxi", "commercial")),
        RatingInput("engine_cc", "حجم موتور (سی‌سی)", "int", minimum=50, maximum=16_000),
        RatingInput("no_claims_years", "سال‌های عدم خسارت", "int", minimum=0, maximum=15),
    ),
    coverages=(
        Coverage("bodily_injury", "خسارت بدنی اشخاص ثالث", "Third-party bodily injury", sum_insured=DIYAH_1405),
        Coverage("property_damage", "خسارت مالی اشخاص ثالث", "Third-party property damage", sum_insured=1_000_000_000),
        Coverage("driver_accident", "حوادث راننده مسبب", "Driver personal accident", sum_insured=DIYAH_1405),
    ),
    term=ANNUAL,
    base=FixedBase(70_000_000),
    factors=(
        ChoiceFactor("vehicle_type", {"passenger_car": 1000, "motorcycle": 400, "pickup": 1300, "truck": 2400, "bus": 2800}),
        ChoiceFactor("usage", {"personal": 1000, "taxi": 1250, "commercial": 1400}),
        BandFactor("engine_cc", ((50, 1500, 1000), (1501, 2000, 1150), (2001, 3000, 1300), (3001, 16_000, 1500))),
        BandFactor("no_claims_years", _TPL_NO_CLAIMS),
    ),
    minimum_premium=5_000_000,
    vat_permille=STANDARD_VAT_PERMILLE,
)

MOTOR_HULL = Product(
    code="motor_hull",
    name_fa="بیمه بدنه خودرو",
    name_en="Motor hull",
    line="motor",
    mandatory=False,
    inputs=(
        RatingInput("vehicle_value", "ارزش خودرو (ریال)", "int", minimum=100_000_000, maximum=500_000_000_000),
        RatingInput("vehicle_type", "نوع خودرو", "choice", choices=("passenger_car", "suv", "pickup")),
        RatingInput("vehicle_age", "عمر خودرو (سال)", "int", minimum=0, maximum=20),
        RatingInput("deductible_percent", "درصد فرانشیز", "int", choices=(10, 20, 30)),
        RatingInput("no_claims_years", "سال‌های عدم خسارت", "int", minimum=0, maximum=15),
    ),
    coverages=(
        Coverage("collision", "تصادف و واژگونی", "Collision and overturning", from_input="vehicle_value"),
        Coverage("theft", "سرقت کلی", "Total theft", from_input="vehicle_value"),
        Coverage("fire", "آتش‌سوزی، صاعقه و انفجار", "Fire, lightning and explosion", from_input="vehicle_value"),
    ),
    term=ANNUAL,
    base=RateOnValue(("vehicle_value",), Fraction(18, 1000)),  # 1.8% of the declared value
    factors=(
        ChoiceFactor("vehicle_type", {"passenger_car": 1000, "suv": 1150, "pickup": 1100}),
        BandFactor("vehicle_age", ((0, 2, 1000), (3, 5, 1100), (6, 10, 1250), (11, 20, 1450))),
        ChoiceFactor("deductible_percent", {10: 1000, 20: 900, 30: 820}),
        BandFactor("no_claims_years", ((0, 0, 1000), (1, 1, 800), (2, 2, 700), (3, 3, 650), (4, 15, 600))),
    ),
    minimum_premium=5_000_000,
    vat_permille=STANDARD_VAT_PERMILLE,
)

HEALTH_SUPP = Product(
    code="health_supp",
    name_fa="بیمه درمان تکمیلی",
    name_en="Supplementary health",
    line="health",
    mandatory=False,
    inputs=(
        RatingInput("plan_tier", "طرح", "choice", choices=("basic", "silver", "gold")),
        RatingInput("age", "سن مسن‌ترین بیمه‌شده", "int", minimum=0, maximum=70),
        RatingInput("insured_count", "تعداد بیمه‌شدگان", "int", minimum=1, maximum=20),
    ),
    coverages=(
        Coverage("hospitalisation", "بستری و جراحی", "Hospitalisation and surgery",
                 by_choice=("plan_tier", {"basic": 1_500_000_000, "silver": 3_000_000_000, "gold": 6_000_000_000})),
        Coverage("paraclinic", "خدمات پاراکلینیکی", "Para-clinical services",
                 by_choice=("plan_tier", {"basic": 150_000_000, "silver": 300_000_000, "gold": 600_000_000})),
        Coverage("dental", "دندانپزشکی", "Dental",
                 by_choice=("plan_tier", {"basic": 0, "silver": 50_000_000, "gold": 150_000_000})),
    ),
    term=ANNUAL,
    base=FixedBase(45_000_000),  # per insured person per year
    factors=(
        ChoiceFactor("plan_tier", {"basic": 1000, "silver": 1600, "gold": 2500}),
        # Priced on the eldest insured person's age: conservative for a family contract.
        BandFactor("age", ((0, 15, 800), (16, 30, 1000), (31, 45, 1250), (46, 60, 1800), (61, 70, 2600))),
        PerUnitFactor("insured_count"),
        BandFactor("insured_count", ((1, 3, 1000), (4, 9, 950), (10, 20, 900))),  # family/group discount
    ),
    minimum_premium=10_000_000,
    vat_permille=STANDARD_VAT_PERMILLE,
)

LIFE_TERM = Product(
    code="life_term",
    name_fa="بیمه عمر زمانی",
    name_en="Term life",
    line="life",
    mandatory=False,
    inputs=(
        RatingInput("sum_insured", "سرمایه فوت (ریال)", "int", minimum=100_000_000, maximum=100_000_000_000),
        RatingInput("age", "سن بیمه‌شده", "int", minimum=18, maximum=65),
        RatingInput("cover_years", "مدت قرارداد (سال)", "int", minimum=5, maximum=30),
        RatingInput("smoker", "مصرف دخانیات", "bool"),
    ),
    coverages=(
        Coverage("death", "فوت به هر علت", "Death from any cause", from_input="sum_insured"),
        Coverage("accidental_death", "فوت بر اثر حادثه", "Accidental death", from_input="sum_insured", multiple=2),
    ),
    term=ANNUAL,  # a yearly-renewable contract; cover_years only loads the rate
    base=RateOnValue(("sum_insured",), Fraction(15, 10_000)),  # 1.5‰ of the sum insured a year
    factors=(
        BandFactor("age", ((18, 30, 1000), (31, 40, 1400), (41, 50, 2400), (51, 60, 4500), (61, 65, 7000))),
        BandFactor("cover_years", ((5, 10, 1000), (11, 20, 1100), (21, 30, 1250))),
        ChoiceFactor("smoker", {True: 1500, False: 1000}),
    ),
    minimum_premium=1_000_000,
    vat_permille=0,  # illustrative: life premiums treated as VAT-exempt
)

FIRE_HOME = Product(
    code="fire_home",
    name_fa="بیمه آتش‌سوزی منازل",
    name_en="Home fire",
    line="property",
    mandatory=False,
    inputs=(
        RatingInput("building_value", "ارزش ساختمان (ریال)", "int", minimum=500_000_000, maximum=1_000_000_000_000),
        RatingInput("contents_value", "ارزش اثاثیه (ریال)", "int", minimum=0, maximum=200_000_000_000),
        RatingInput("construction_type", "نوع سازه", "choice", choices=("steel_concrete", "masonry", "other")),
        RatingInput("risk_zone", "منطقه خطر شهر", "int", choices=(1, 2, 3, 4)),
    ),
    coverages=(
        Coverage("building_fire", "آتش‌سوزی، صاعقه و انفجار ساختمان", "Building fire, lightning, explosion", from_input="building_value"),
        Coverage("contents_fire", "آتش‌سوزی اثاثیه", "Contents fire", from_input="contents_value"),
    ),
    term=ANNUAL,
    base=RateOnValue(("building_value", "contents_value"), Fraction(6, 10_000)),  # 0.6‰ of values
    factors=(
        ChoiceFactor("construction_type", {"steel_concrete": 1000, "masonry": 1300, "other": 1600}),
        ChoiceFactor("risk_zone", {1: 1000, 2: 1150, 3: 1350, 4: 1600}),
    ),
    minimum_premium=1_000_000,
    vat_permille=STANDARD_VAT_PERMILLE,
)

TRAVEL = Product(
    code="travel",
    name_fa="بیمه مسافرتی",
    name_en="Travel",
    line="travel",
    mandatory=False,
    inputs=(
        RatingInput("destination_zone", "منطقه مقصد", "choice", choices=("neighbours", "schengen", "worldwide")),
        RatingInput("age", "سن مسافر", "int", minimum=0, maximum=85),
    ),
    coverages=(
        Coverage("medical_expenses", "هزینه‌های پزشکی و بیمارستانی", "Medical expenses",
                 by_choice=("destination_zone", {"neighbours": 10_000_000_000, "schengen": 36_000_000_000, "worldwide": 50_000_000_000})),
        Coverage("evacuation", "انتقال اضطراری پزشکی", "Emergency medical evacuation", sum_insured=5_000_000_000),
    ),
    term=TermRule("days", min_days=7, max_days=365),
    base=FixedBase(6_000_000),
    factors=(
        BandFactor(TERM_DAYS, ((7, 15, 1000), (16, 31, 1600), (32, 92, 2800), (93, 180, 4200), (181, 365, 6500))),
        ChoiceFactor("destination_zone", {"neighbours": 1000, "schengen": 1800, "worldwide": 2600}),
        BandFactor("age", ((0, 12, 750), (13, 65, 1000), (66, 75, 2000), (76, 85, 3500))),
    ),
    minimum_premium=2_000_000,
    vat_permille=STANDARD_VAT_PERMILLE,
    renewable=False,
)

PRODUCTS: Mapping[str, Product] = MappingProxyType(
    {p.code: p for p in (MOTOR_TPL, MOTOR_HULL, HEALTH_SUPP, LIFE_TERM, FIRE_HOME, TRAVEL)}
)


def get_product(code: str) -> Product:
    """The product with this code, or ``PRODUCT_NOT_FOUND``."""
    product = PRODUCTS.get((code or "").strip())
    if product is None:
        raise NotFound("no such product", code="PRODUCT_NOT_FOUND", metadata={"product_code": str(code)[:40]})
    return product


def list_products() -> tuple[Product, ...]:
    """Every product on sale, in catalogue order."""
    return tuple(PRODUCTS.values())


def product_names(product_code: str) -> dict[str, str]:
    """The product's names for messages to customers (Persian and English), carried in events
    beside the code so the campaign service can write "بیمه بدنه خودرو", not ``motor_hull``."""
    product = PRODUCTS.get(product_code)
    return {"product_name_fa": product.name_fa, "product_name_en": product.name_en} if product else {}
