"""Candidates, publicity, objections, complaints and the award: read side and pure rules (docs/award.md).
Writes are in trading.actions.award and trading.actions.disputes."""
