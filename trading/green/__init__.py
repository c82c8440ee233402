"""The green channel's read side: the plan (target dates), milestone states from the trading log,
queue priority and the monthly summary. Writes are in trading.actions.green."""
