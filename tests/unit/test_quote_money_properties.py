"""Money invariants of a quote for random carts, rules, customers and currencies."""
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.history import CustomerHistory, MonthTotals
from chalicelib.domain.pricing import CartLine, quote_for_cart
from chalicelib.domain.rules import parse_rules

NOW = datetime(2026, 6, 15, 12, tzinfo=timezone.utc)
CATEGORIES = ["shoes", "apparel", "socks", "gift-cards"]
SKUS = ["S1", "S2", "S3", "GC", "VIP"]
CURRENCIES = ["GBP", "USD", "EUR", "JPY", "KWD"]

percents = st.one_of(
    st.integers(1, 100),
    st.integers(1, 10000).map(lambda bp: f"{bp // 100}.{bp % 100:02d}"),
)
category_sets = st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True)


@st.composite
def promotions(draw, index: int) -> dict:
    body = {
        "code": f"P{index}",
        "description": f"promotion {index}",
        "automatic": draw(st.booleans()),
        "stackable": draw(st.booleans()),
        "priority": draw(st.integers(-3, 3)),
    }
    if draw(st.booleans()):
        body.update(kind="percent_off", percent=draw(percents))
    else:
        body.update(kind="amount_off", amount=draw(st.integers(1, 200000)))
    optional = {
        "categories": category_sets,
        "exclude_skus": st.lists(st.sampled_from(SKUS), max_size=2, unique=True),
        "min_subtotal": st.integers(0, 300000),
        "applies_to_sale_items": st.booleans(),
        "budget": st.integers(0, 3),
        "per_customer_limit": st.integers(1, 2),
        "tiers": st.sampled_from([["Gold"], ["Member", "Gold"]]),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            body[name] = draw(strategy)
    return body


@st.composite
def rules_documents(draw) -> dict:
    def benefits() -> dict:
        chosen = draw(st.lists(st.sampled_from(CATEGORIES + ["*"]), max_size=3, unique=True))
        body = {"percent_by_category": {c: draw(percents) for c in chosen}, "applies_to_sale_items": draw(st.booleans())}
        if draw(st.booleans()):
            body["cap"] = draw(st.integers(0, 50000))
        return body

    count = draw(st.integers(0, 8))
    return {
        "base_currency": "GBP",
        "fx": {"USD": draw(st.sampled_from(["0.79", "0.8123", "1"])), "EUR": "0.85", "JPY": "0.0052", "KWD": "2.58"},
        "never_discounted": {"categories": ["gift-cards"], "skus": ["VIP"]},
        "tiers": [
            {"name": "Member", "benefits": benefits()},
            {"name": "Gold", "qualify": [{"orders": 2}], "benefits": benefits()},
        ],
        "promotions": [draw(promotions(i)) for i in range(count)],
    }


cart_lines = st.lists(
    st.builds(
        CartLine,
        sku=st.sampled_from(SKUS),
        category=st.sampled_from(CATEGORIES),
        quantity=st.integers(1, 5),
        unit_amount=st.one_of(st.integers(0, 3), st.integers(0, 250000)),
        on_sale=st.booleans(),
    ),
    max_size=20,
)


@st.composite
def histories(draw) -> CustomerHistory:
    if draw(st.booleans()):
        return CustomerHistory.guest()
    orders = draw(st.integers(0, 4))
    first = NOW - timedelta(days=draw(st.integers(1, 900)))
    return CustomerHistory(
        customer_id="c-1",
        lifetime_orders=orders,
        lifetime_net_spend=orders * 4000,
        first_order_at=first if orders else None,
        last_order_at=first if orders else None,
        months={"2026-05": MonthTotals(orders, orders * 4000)} if orders else {},
        promotion_uses=draw(st.dictionaries(st.sampled_from(["P0", "p1", "P2"]), st.integers(0, 2), max_size=2)),
    )


quotes = st.tuples(
    rules_documents(),
    histories(),
    cart_lines,
    st.sampled_from(CURRENCIES),
    st.lists(st.sampled_from(["P0", "p1", "P2", "P3", "nope"]), max_size=4),
    st.dictionaries(st.sampled_from(["P0", "P1", "P2"]), st.integers(-1, 2), max_size=3),
)

MONEY = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def compute(case):
    document, history, lines, currency, codes, budgets = case
    return quote_for_cart(parse_rules(document, version=3), history, lines, currency, NOW, codes, budgets)


@MONEY
@given(quotes)
def test_line_parts_sum_to_the_order_discount_no_line_goes_below_zero_and_totals_add_up(case):
    q = compute(case)
    lines = case[2]
    for discount in q.discounts:
        parts = [p.amount for line in q.lines for p in line.discounts if p.code == discount.code]
        assert sum(parts) == discount.amount > 0
    for line in q.lines:
        assert all(part.amount > 0 for part in line.discounts)
        assert 0 <= line.discount <= line.subtotal
    assert q.totals.subtotal == sum(line.quantity * line.unit_amount for line in lines) == sum(l.subtotal for l in q.lines)
    assert q.totals.discount == sum(d.amount for d in q.discounts) == sum(l.discount for l in q.lines)
    assert q.totals.total == q.totals.subtotal - q.totals.discount == sum(l.total for l in q.lines)


@PROPERTY
@given(quotes)
def test_never_discounted_lines_stay_at_full_price(case):
    q = compute(case)
    for line, original in zip(q.lines, case[2]):
        if original.category == "gift-cards" or original.sku == "VIP":
            assert line.discounts == ()


@PROPERTY
@given(quotes, st.randoms(use_true_random=False))
def test_a_quote_is_deterministic_whatever_order_codes_are_typed_in(case, random):
    document, history, lines, currency, codes, budgets = case
    first = compute(case)
    assert compute(case) == first
    shuffled = list(codes)
    random.shuffle(shuffled)
    second = compute((document, history, lines, currency, shuffled, budgets))
    assert (first.discounts, first.lines, first.totals) == (second.discounts, second.lines, second.totals)


@PROPERTY
@given(quotes)
def test_every_typed_code_is_applied_or_explained_and_exclusive_promotions_stand_alone(case):
    q = compute(case)
    typed = {code.strip().upper() for code in case[4]}
    answered = {d.code.upper() for d in q.discounts} | {n.code.upper() for n in q.not_applied}
    assert typed <= answered
    assert all(n.reason and (n.short_by is None or n.short_by > 0) for n in q.not_applied)
    exclusive = {p["code"] for p in case[0]["promotions"] if not p["stackable"]}
    promos = [d.code for d in q.discounts if d.kind != "tier"]
    if exclusive & set(promos):
        assert len(promos) == 1
