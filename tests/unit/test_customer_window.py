"""Rolling windows over the monthly buckets."""
from datetime import datetime, timezone

from chalicelib.domain.customer import CustomerStats, MonthTotals, month_keys_back, normalise_phone


def test_month_keys_go_back_across_the_year_boundary():
    assert month_keys_back(datetime(2026, 2, 15, tzinfo=timezone.utc), 4) == ("2026-02", "2026-01", "2025-12", "2025-11")


def test_rolling_window_counts_the_current_month_and_the_eleven_before():
    stats = CustomerStats(months={
        "2025-11": MonthTotals(5, 50000),  # 13 months back: outside
        "2025-12": MonthTotals(1, 1000),
        "2026-11": MonthTotals(2, 2500),
    })
    window = stats.window(datetime(2026, 11, 23, tzinfo=timezone.utc))
    assert (window.orders, window.net_spend) == (3, 3500)


def test_phone_numbers_normalise_to_e164_and_impossible_ones_to_digits_with_their_plus():
    assert normalise_phone("+44 (0)20 7946-0958") == "+442079460958"
    assert normalise_phone("020 7946 0958", "GB") == "+442079460958"
    assert normalise_phone("+1 2") == "+12"  # not a possible number: compared by its digits


def test_customer_since_is_the_earliest_evidence_whatever_holds_it():
    from datetime import datetime, timezone

    from chalicelib.domain.customer import CustomerProfile, CustomerStats, customer_since

    def at(year):
        return datetime(year, 1, 1, tzinfo=timezone.utc)

    assert customer_since(None, None) is None
    assert customer_since(CustomerProfile("c", first_seen_at=at(2026)), CustomerStats()) == at(2026)
    imported = CustomerProfile("c", first_seen_at=at(2026))
    assert customer_since(imported, CustomerStats(first_order_at=at(2021))) == at(2021)
    opened = CustomerProfile("c", created_at=at(2019), first_seen_at=at(2026))
    assert customer_since(opened, CustomerStats(first_order_at=at(2021))) == at(2019)
