"""Eurasian fiber corridor planner: least-cost fiber routes from Russia to Iran's cable landings."""

__version__ = "0.1.0"
