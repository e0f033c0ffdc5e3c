"""Batch jobs run by operators, outside the Lambda package (they may use numpy and scipy)."""
