"""Totals of invoices and receipts, computed without the language model."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.vision.answers import amounts, find_total, parse_amount

INVOICE = """ACME Office Supplies
Invoice 2024-117 Date 12.03.2024
Paper A4, 2 x 4.50 9.00
Toner cartridge 29.99
Subtotal 38.99
VAT 19% 7.41
Total due 46.40 EUR"""


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("12,50", "12.50"),
        ("42", "42"),
        ("1 234.50", "1234.50"),
    ],
)
def test_parse_amount(text: str, value: str) -> None:
    assert parse_amount(text) == Decimal(value)


def test_amounts_with_currency_signs() -> None:
    assert amounts("Total $12.00") == [(Decimal("12.00"), "dollars")]
    assert amounts("Paid 3,50 €") == [(Decimal("3.50"), "EUR")]
    assert amounts("Qty 2 x 4.50 9.00") == [(Decimal("4.50"), ""), (Decimal("9.00"), "")]


def test_labelled_total_wins_over_subtotal_and_tax() -> None:
    total = find_total(INVOICE)
    assert total is not None and not total.computed
    assert total.amount == Decimal("46.40") and total.currency == "EUR"
    assert total.spoken() == "The total is 46.40 EUR."


def test_grand_total_beats_plain_total() -> None:
    text = "Total 10.00\nTip 2.00\nGrand total 12.00"
    assert find_total(text).amount == Decimal("12.00")


def test_amount_on_the_line_after_the_label() -> None:
    assert find_total("Amount due\n$1,250.00").amount == Decimal("1250.00")


def test_without_a_total_line_the_items_are_summed() -> None:
    total = find_total("Coffee 3.50\nCake 4.25\nWater 1.10")
    assert total.computed and total.items == 3
    assert total.amount == Decimal("8.85")
    assert "add up to 8.85" in total.spoken()


def test_no_amounts_no_total() -> None:
    assert find_total("Meeting moved to Thursday") is None
