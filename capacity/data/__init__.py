"""Loading and validating a city's data folder."""

from capacity.data.load import load_city
from capacity.data.model import CityData, LevelStandard, Standards
from capacity.data.summary import summarise

__all__ = ["CityData", "LevelStandard", "Standards", "load_city", "summarise"]
