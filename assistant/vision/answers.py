"""Deterministic answers from recognised text: totals of invoices and receipts.

The language model cannot be trusted with arithmetic, so "what is the total?" is answered here:
the amount on the line labelled total (grand total / total due / amount due first), else the
sum of the line-item amounts, computed with ``Decimal``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# money: 1,234.56 | 1234.56 | 1.234,56 | 1234,56 | 42 (only with a currency sign)
_AMOUNT = re.compile(
    r"(?P<sign>[-−])?\s?(?P<cur>[$€£])?\s?"
    r"(?P<num>\d{1,3}(?:[,.\s]\d{3})+(?:[.,]\d{1,2})?|\d+[.,]\d{1,2}|(?<=[$€£])\d+|(?<=[$€£]\s)\d+)"
    r"(?![\d%])\s?(?P<cur2>[$€£])?"
)
_CURRENCY_CODE = re.compile(r"\b(EUR|USD|GBP|CHF|CAD|AUD|JPY|SEK|NOK|DKK|PLN)\b", re.I)
_SYMBOLS = {"$": "dollars", "€": "EUR", "£": "GBP"}
# best label first; "subtotal" and "total tax" are never the total
_TOTAL_LABELS = [
    re.compile(p, re.I)
    for p in (
        r"\bgrand\s*total\b",
        r"\btotal\s*(amount\s*)?(due|payable|to\s*pay)\b",
        r"\b(amount|balance)\s*due\b",
        r"\btotal\b(?!\s*(tax|vat|discount))",
    )
]
_NOT_ITEM = re.compile(
    r"\b(sub\s*-?total|total|tax|vat|gst|due|balance|change|paid|cash|card|tip|discount|"
    r"invoice|date|phone|tel|no\.|number|iban|account)\b",
    re.I,
)
_SUBTOTAL = re.compile(r"\bsub\s*-?total\b", re.I)


@dataclass(frozen=True)
class Total:
    amount: Decimal
    currency: str  # "EUR", "dollars" … or ""
    line: str  # the line it came from ("" when computed)
    computed: bool  # True when summed from the items (no total line found)
    items: int = 0

    def spoken(self) -> str:
        amount = f"{self.amount:,.2f}"
        money = f"{amount} {self.currency}".strip()
        if self.computed:
            return f"I found no total line, but the {self.items} amounts listed add up to {money}."
        return f"The total is {money}."


def parse_amount(text: str) -> Decimal | None:
    """'1,234.56' → 1234.56; '1.234,56' → 1234.56; '12,50' → 12.50."""
    digits = re.sub(r"\s", "", text)
    last_sep = max(digits.rfind("."), digits.rfind(","))
    if last_sep >= 0 and len(digits) - last_sep - 1 in (1, 2):
        whole, frac = digits[:last_sep], digits[last_sep + 1 :]
    else:
        whole, frac = digits, "0"
    try:
        return Decimal(re.sub(r"[.,]", "", whole) + "." + frac)
    except InvalidOperation:
        return None


def amounts(line: str) -> list[tuple[Decimal, str]]:
    """The money amounts on a line, with their currency (when written)."""
    found = []
    for m in _AMOUNT.finditer(line):
        value = parse_amount(m.group("num"))
        if value is None:
            continue
        if m.group("sign"):
            value = -value
        symbol = m.group("cur") or m.group("cur2") or ""
        found.append((value, _SYMBOLS.get(symbol, "")))
    return found


def _currency(text: str, symbol: str) -> str:
    if symbol:
        return symbol
    code = _CURRENCY_CODE.search(text)
    return code.group(1).upper() if code else ""


def find_total(text: str) -> Total | None:
    """The total of an invoice or receipt in ``text``; None when there are no amounts."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for label in _TOTAL_LABELS:
        for i in range(len(lines) - 1, -1, -1):  # the last labelled line wins (after subtotals)
            line = lines[i]
            if not label.search(line) or _SUBTOTAL.search(line):
                continue
            on_line = amounts(line)
            if not on_line and i + 1 < len(lines):  # amount read as the next line
                on_line = amounts(lines[i + 1])
            if on_line:
                value, symbol = on_line[-1]
                return Total(value, _currency(line if symbol else text, symbol), line, False)
    items = [amounts(line)[-1] for line in lines if amounts(line) and not _NOT_ITEM.search(line)]
    if not items:
        return None
    total = sum((v for v, _ in items), Decimal(0))
    symbol = next((s for _, s in items if s), "")
    return Total(total, _currency(text, symbol), "", True, len(items))
