"""The rules document: the shipped default, validation that names every bad field, conversion."""
import ast
import copy
import json
from pathlib import Path

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.rules import (
    DEFAULT_RULES_PATH,
    NoExchangeRate,
    RulesInvalid,
    load_default_rules,
    parse_rules,
)

DOMAIN = Path(__file__).resolve().parents[2] / "chalicelib" / "domain"


def default_document() -> dict:
    return json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))


def errors_of(document: dict) -> list:
    with pytest.raises(RulesInvalid) as caught:
        parse_rules(document)
    return caught.value.errors


def fields_of(document: dict) -> list:
    return [error["field"] for error in errors_of(document)]


def minimal(**extra) -> dict:
    document = {"base_currency": "GBP", "tiers": [{"name": "Member"}]}
    document.update(extra)
    return document


def promotion(**fields) -> dict:
    base = {"code": "TEN", "description": "10% off", "kind": "percent_off", "percent": 10, "stackable": True}
    base.update(fields)
    return base


# ------------------------------------------------------------------ the shipped default


def test_default_rules_parse_with_three_tiers_lowest_first():
    rules = load_default_rules()
    assert [tier.name for tier in rules.tiers] == ["Member", "Silver", "Gold"]
    assert rules.base_currency == "GBP"
    assert set(rules.fx) == {"USD", "EUR", "JPY"}
    assert rules.version == 0


def test_default_rules_ship_the_promotions_the_issue_asks_for():
    rules = load_default_rules()
    codes = {promo.code for promo in rules.promotions}
    assert {"WELCOMEBACK", "SPRINGFORWARD", "RUNCLUB10", "GOLDEARLY", "MISSYOU"} <= codes
    spring = rules.promotion("springforward")
    assert spring.automatic and spring.window.time_zone == "America/Los_Angeles"
    assert rules.promotion("RUNCLUB10").budget == 500
    assert rules.promotion("GOLDEARLY").tiers == ("Gold",)
    assert rules.promotion("WELCOMEBACK").customer.days == 30
    assert rules.promotion("MISSYOU").customer.kind == "lapsed"


def test_default_gold_tier_qualifies_by_window_or_by_lifetime_spend_or_orders_with_tenure():
    gold = load_default_rules().tier("Gold")
    window, lifetime, staying = gold.qualify
    assert (window.window_months, window.orders, window.net_spend) == (12, 10, 100000)
    assert (lifetime.window_months, lifetime.net_spend, lifetime.tenure_years) == (None, 500000, 3)
    assert (staying.window_months, staying.orders, staying.tenure_years) == (None, 40, 5)
    assert "gift-cards" in gold.benefits.items.exclude_categories


def test_default_silver_tier_rewards_staying_as_well_as_the_last_12_months():
    window, staying = load_default_rules().tier("Silver").qualify
    assert (window.window_months, window.orders, window.net_spend) == (12, 3, 25000)
    assert (staying.window_months, staying.orders, staying.tenure_years) == (None, 12, 2)


def test_default_rules_never_discount_gift_cards():
    rules = load_default_rules()
    assert not rules.discountable.covers_at_full_price("GC-50", "gift-cards")
    assert rules.discountable.covers_at_full_price("SHOE-1", "running-shoes")


# ------------------------------------------------------------------ validation


def test_every_error_is_reported_at_once_with_its_exact_field_path():
    document = default_document()
    document["tiers"][2]["qualify"][0]["net_spend"] = -5
    document["promotions"][1]["percent"] = "150"
    document["fx"]["USD"] = "zero"
    errors = errors_of(document)
    assert {"field": "tiers[2].qualify[0].net_spend", "reason": "must be a non-negative integer of minor units"} in errors
    assert "promotions[1].percent" in [e["field"] for e in errors]
    assert "fx.USD" in [e["field"] for e in errors]
    assert len(errors) == 3


def test_rules_invalid_is_a_400_invalid_input_carrying_the_field_list():
    document = minimal(base_currency="POUNDS")
    with pytest.raises(InvalidInput) as caught:
        parse_rules(document)
    assert caught.value.status == 400
    assert caught.value.details == [{"field": "base_currency", "reason": 'must be an ISO 4217 currency code, e.g. "GBP"'}]
    assert str(caught.value).startswith("base_currency: ")


def test_a_misspelt_field_inside_a_known_section_is_rejected_with_a_suggestion():
    document = minimal(promotions=[promotion(min_subtotl=500)])
    [error] = errors_of(document)
    assert error["field"] == "promotions[0].min_subtotl"
    assert "did you mean min_subtotal?" in error["reason"]


def test_unknown_top_level_objects_are_preserved_for_later_sections():
    document = minimal(address_trust={"threshold": 70}, value_model={})
    rules = parse_rules(document)
    assert dict(rules.extra_sections) == {"address_trust": {"threshold": 70}, "value_model": {}}
    assert rules.to_document() == document


def test_unknown_top_level_scalars_are_rejected():
    assert fields_of(minimal(address_trust=70)) == ["address_trust"]


def test_a_version_key_from_get_is_tolerated_and_the_store_assigns_the_version():
    rules = parse_rules(minimal(version=7), version=8)
    assert rules.version == 8
    assert fields_of(minimal(version="7")) == ["version"]


def test_the_document_is_copied_so_later_edits_do_not_change_parsed_rules():
    document = minimal(address_trust={"threshold": 70})
    rules = parse_rules(document)
    document["address_trust"]["threshold"] = 1
    assert rules.to_document()["address_trust"]["threshold"] == 70


@pytest.mark.parametrize(
    "fx, field",
    [
        ({"USD": 0.79}, "fx.USD"),
        ({"USD": "-1"}, "fx.USD"),
        ({"GBP": "1"}, "fx.GBP"),
        ({"XXQ": "1.2"}, "fx.XXQ"),
    ],
    ids=["float-rate", "negative-rate", "base-currency-rate", "unknown-currency"],
)
def test_fx_rates_must_be_positive_decimal_strings_for_foreign_iso_currencies(fx, field):
    assert fields_of(minimal(fx=fx)) == [field]


@pytest.mark.parametrize(
    "percent, basis_points",
    [(10, 1000), ("12.5", 1250), ("0.25", 25), ("100", 10000)],
)
def test_percentages_are_whole_numbers_or_decimal_strings(percent, basis_points):
    rules = parse_rules(minimal(promotions=[promotion(percent=percent)]))
    assert rules.promotions[0].percent_bp == basis_points


@pytest.mark.parametrize("percent", [12.5, 0, "0", "100.01", "12.345", "ten", True, None])
def test_bad_percentages_are_rejected(percent):
    assert fields_of(minimal(promotions=[promotion(percent=percent)])) == ["promotions[0].percent"]


def test_promotion_codes_are_unique_case_insensitively():
    document = minimal(promotions=[promotion(code="SAVE"), promotion(code="save")])
    [error] = errors_of(document)
    assert error["field"] == "promotions[1].code"
    assert "case-insensitive" in error["reason"]


def test_tier_names_are_unique():
    document = minimal(tiers=[{"name": "Member"}, {"name": "Member", "qualify": [{"orders": 3}]}])
    assert fields_of(document) == ["tiers[1].name"]


def test_promotion_tiers_must_name_tiers_of_the_document():
    document = minimal(promotions=[promotion(tiers=["Platinum"])])
    [error] = errors_of(document)
    assert error["field"] == "promotions[0].tiers[0]"
    assert "Member" in error["reason"]


def test_only_the_first_tier_may_be_open_to_everyone():
    document = minimal(tiers=[{"name": "Member"}, {"name": "Silver", "qualify": []}])
    assert fields_of(document) == ["tiers[1].qualify"]


def test_a_higher_tier_without_qualify_is_rejected():
    document = minimal(tiers=[{"name": "Member"}, {"name": "Silver"}])
    assert fields_of(document) == ["tiers[1].qualify"]


def test_a_qualify_rule_needs_a_threshold():
    document = minimal(tiers=[{"name": "Member", "qualify": [{"window_months": 12}]}])
    assert fields_of(document) == ["tiers[0].qualify[0]"]


def test_require_both_needs_orders_and_net_spend():
    document = minimal(tiers=[{"name": "Member", "qualify": [{"orders": 3, "require": "both"}]}])
    assert fields_of(document) == ["tiers[0].qualify[0].require"]


def test_lifetime_and_a_window_are_mutually_exclusive():
    document = minimal(tiers=[{"name": "Member", "qualify": [{"lifetime": True, "window_months": 12, "orders": 3}]}])
    assert fields_of(document) == ["tiers[0].qualify[0].window_months"]


def test_window_months_default_to_twelve():
    rules = parse_rules(minimal(tiers=[{"name": "Member", "qualify": [{"orders": 3}]}]))
    assert rules.tiers[0].qualify[0].window_months == 12


@pytest.mark.parametrize(
    "window, field",
    [
        ({"time_zone": "Mars/Olympus", "start": "2026-03-06"}, "promotions[0].window.time_zone"),
        ({"time_zone": "UTC", "start": "2026-03-06T00:00:00+00:00"}, "promotions[0].window.start"),
        ({"time_zone": "UTC", "start": "2026-03-06", "end": "2026-03-01"}, "promotions[0].window.end"),
        ({"time_zone": "UTC"}, "promotions[0].window"),
        ({"start": "2026-03-06"}, "promotions[0].window.time_zone"),
    ],
    ids=["unknown-zone", "offset-given", "end-before-start", "no-bounds", "no-zone"],
)
def test_promotion_windows_are_local_times_in_a_known_zone(window, field):
    assert fields_of(minimal(promotions=[promotion(window=window)])) == [field]


def test_kind_specific_fields_are_checked():
    document = minimal(promotions=[
        promotion(kind="amount_off"),
        promotion(code="B", kind="percent_off", percent=None, amount=100),
        promotion(code="C", kind="bogof"),
    ])
    fields = fields_of(document)
    assert "promotions[0].amount" in fields and "promotions[0].percent" in fields
    assert "promotions[1].amount" in fields
    assert "promotions[2].kind" in fields


def test_a_customer_condition_sets_exactly_one_history_rule():
    document = minimal(promotions=[
        promotion(customer={"first_order": True, "lapsed_days": 90}),
        promotion(code="B", customer={"first_order": False}),
        promotion(code="C", customer={"second_order_within_days": 0}),
    ])
    assert fields_of(document) == [
        "promotions[0].customer", "promotions[1].customer.first_order",
        "promotions[2].customer.second_order_within_days",
    ]


def test_missing_required_fields_are_named():
    document = {"tiers": [{"qualify": []}], "promotions": [{"code": "X"}]}
    assert fields_of(document) == [
        "base_currency", "tiers[0].name",
        "promotions[0].description", "promotions[0].kind", "promotions[0].stackable",
    ]


def test_a_document_that_is_not_an_object_is_rejected():
    assert fields_of([]) == ["(document)"]


# ------------------------------------------------------------------ lookups and conversion


def test_promotions_are_found_by_code_case_insensitively_ignoring_spaces():
    rules = load_default_rules()
    assert rules.promotion(" welcomeBack ").code == "WELCOMEBACK"
    assert rules.promotion("NOPE") is None


@pytest.mark.parametrize(
    "amount, currency, expected",
    [
        (1000, "GBP", 1000),     # base: unchanged
        (1000, "USD", 1266),     # £10 / 0.79 = $12.658 -> 12.66
        (1000, "JPY", 1923),     # £10 / 0.0052 = ¥1,923.08 -> ¥1,923 (exponent 0)
        (1000, "EUR", 1176),     # £10 / 0.85 = €11.7647 -> 11.76
    ],
)
def test_base_amounts_convert_to_the_quote_currency_respecting_exponents(amount, currency, expected):
    assert load_default_rules().from_base(amount, currency) == expected


def test_kwd_thresholds_use_three_decimal_places():
    rules = parse_rules(minimal(fx={"KWD": "2.5"}))
    assert rules.from_base(1000, "KWD") == 4000  # £10 = 4.000 KWD


def test_converting_to_a_currency_without_a_rate_raises_no_exchange_rate():
    with pytest.raises(NoExchangeRate) as caught:
        load_default_rules().from_base(1000, "CHF")
    assert caught.value.details[0]["field"] == "currency"


def test_the_rules_domain_never_imports_aws_or_web_frameworks():
    forbidden = {"boto3", "botocore", "pynamodb", "chalice"}
    mine = ["rules.py", "tiers.py", "promotions.py", "pricing.py", "history.py", "discount_clawback.py"]
    for name in mine:
        tree = ast.parse((DOMAIN / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert not roots & forbidden, f"{name} imports {roots & forbidden}"


def test_parsing_does_not_mutate_the_input_document():
    document = default_document()
    before = copy.deepcopy(document)
    parse_rules(document)
    assert document == before


@pytest.mark.parametrize("years", [0, 51, 2.5, "3", True, None])
def test_tenure_years_of_a_staying_path_is_a_whole_number_of_years(years):
    document = default_document()
    document["tiers"][1]["qualify"][1]["tenure_years"] = years
    assert errors_of(document) == [{"field": "tiers[1].qualify[1].tenure_years",
                                    "reason": "must be a whole number of years as a customer from 1 to 50"}]


def test_a_staying_path_with_lifetime_orders_and_tenure_is_accepted():
    document = minimal(tiers=[{"name": "Member"},
                              {"name": "Silver", "qualify": [{"lifetime": True, "orders": 12, "tenure_years": 2}]}])
    rule = parse_rules(document).tier("Silver").qualify[0]
    assert (rule.window_months, rule.orders, rule.tenure_years) == (None, 12, 2)


@pytest.mark.parametrize("name", ["", "   ", 7, "x" * 61])
def test_a_promotion_name_is_a_short_text(name):
    document = default_document()
    document["promotions"][0]["name"] = name
    assert errors_of(document) == [{"field": "promotions[0].name",
                                    "reason": 'must be a name of 1 to 60 characters, e.g. "Spring Forward sale"'}]


def test_the_default_spring_forward_promotion_has_the_name_shoppers_know():
    assert load_default_rules().promotion("SPRINGFORWARD").name == "Spring Forward sale"
