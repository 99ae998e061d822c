"""Errors a user can see.

Every error names the file or setting at fault, what was found, what was expected and the fix.
Each class also inherits the built-in exception it resembles, as rasterio's errors do, so callers
that catch ``ValueError`` or ``FileNotFoundError`` keep working.
"""


class PipelineError(Exception):
    """Base class: the CLI turns these into a one-paragraph message and exit code 2."""


class ConfigError(PipelineError, ValueError):
    """A configuration value is missing, of the wrong type or out of range."""


class DataError(PipelineError, ValueError):
    """An input dataset is unreadable, empty, has no CRS, or lies outside the area."""


class GridMismatchError(DataError):
    """A raster is not on the template grid (CRS, transform or shape differ)."""


class MissingDatasetError(PipelineError, FileNotFoundError):
    """A dataset could be found neither at its producer URL nor in the mirror."""


class ChecksumError(PipelineError, ValueError):
    """A file's sha256 differs from the one recorded in the lock file or the manifest."""


class EndpointError(PipelineError, ValueError):
    """An origin or destination is unknown, outside the area, or in water."""


class NoRouteError(PipelineError, RuntimeError):
    """A scenario has no feasible route between an origin and every destination."""


class OutputError(PipelineError, OSError):
    """An output cannot be written (no space, no permission, not a folder)."""


class SchedulerError(PipelineError, ConnectionError):
    """No Dask scheduler answers at the address given."""


class BuildLockedError(PipelineError, RuntimeError):
    """Another build holds the output folder's lock for longer than we may wait."""
