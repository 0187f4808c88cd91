"""The safeguards between a detected situation and a delivery: contact history and delivery claims, the
cooldown and the minimum gap, the daily maximum, confidence, and the check right before a send. Detection
and the check before send use the very same functions, so a preview, a run and a send agree."""
