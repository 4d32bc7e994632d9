"""Dates as Vietnamese administrative documents write them (light: the web process imports this, not the renderer)."""

from datetime import date


def long_date(day: date) -> str:
    """A date as Nghị định 30/2020/NĐ-CP writes it: "ngày 04 tháng 8 năm 2025", "ngày 15 tháng 02 năm 2026".

    A leading zero only for days below 10 and for months 1 and 2 (so "tháng 01" and "tháng 02" cannot be misread).
    """
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def short_date(day: date) -> str:
    """Return a date as dd/mm/yyyy."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"
