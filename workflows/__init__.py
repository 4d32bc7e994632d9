"""The CDHT domain: tables, the state machine, the rules and the use cases (no web, no queue)."""
