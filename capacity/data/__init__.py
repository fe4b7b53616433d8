"""Loading and validating a city's data folder."""

from capacity.data.model import CityData, LevelStandard, Standards

__all__ = ["CityData", "LevelStandard", "Standards"]
