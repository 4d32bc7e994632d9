"""Digital skills, the plan's second target: frameworks as data, citizens' attainments, imports and counters."""
