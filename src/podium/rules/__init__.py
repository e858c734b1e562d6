"""The pure rules: ranking and re-ranking, timing comparisons, boards and
their wording, closes, the hall of fame, the huddle, the schedule, access.
No I/O."""
