"""Errors that scsmap reports to users.

Every error a user can cause (a bad config, a missing or broken input, an output
that cannot be written) is raised as a :class:`ScsmapError` subclass whose message
names the file, the layer or the config field, and says how to fix it. The CLI
prints these without a traceback and exits with status 2.
"""

from __future__ import annotations


class ScsmapError(Exception):
    """Base class of errors that are the user's to fix.

    Parameters
    ----------
    message : str
        What is wrong, naming the file, layer or config field.
    hint : str, optional
        How to fix it.
    """

    def __init__(self, message: str, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ConfigError(ScsmapError):
    """The configuration file is invalid (YAML, schema or cross-field rules)."""

    def __init__(self, problems: list[str] | str, source: str | None = None, hint: str | None = None):
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        head = f"invalid configuration{f' {source}' if source else ''}"
        body = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{head}:\n{body}", hint)


class InputError(ScsmapError):
    """An input layer is missing, unreadable, mis-georeferenced or out of range."""


class OutputError(ScsmapError):
    """Outputs cannot be written (exist already, directory not writable, ...)."""


class Terminated(BaseException):
    """SIGTERM arrived (what SLURM, Kubernetes and ``timeout`` send): the run stops as for Ctrl-C, its
    staging removed and nothing half-moved (the CLI exits 143)."""


class Unavailable(Exception):
    """A derived layer cannot be made from this region's inputs (message says why).

    Not an error of the user's: products that need such a layer are skipped (and
    listed in the manifest) unless they were asked for explicitly.
    """
