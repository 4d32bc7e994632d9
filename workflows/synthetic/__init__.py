"""A synthetic Hà Nội to measure on: realistic citizens, applications, decisions and certificates (ADR 0009).

`generate(engine, citizens=…, year=…)` fills an empty, migrated and seeded database; `flask demo generate` and
`python -m benchmarks.city` call it.
"""

from .city import DEFAULT_PASSWORD, CityNotEmpty, NotSeeded, Report, generate

__all__ = ["DEFAULT_PASSWORD", "CityNotEmpty", "NotSeeded", "Report", "generate"]
