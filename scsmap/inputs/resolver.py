"""Named lazy layers with dependency tracking and provenance: the mechanism behind a run's layers.

A :class:`Resolver` answers ``get(name)`` from a table of rules (one function per layer
name), caches the answer, records which layers each rule used and keeps a provenance
note per layer (where it comes from). :class:`scsmap.inputs.derive.Derived` is the
resolver of the input-derived layers; :class:`scsmap.layers.model.Model` the resolver of
the model layers, which falls back on ``Derived`` for every name it has no rule for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import xarray as xr

from ..errors import Unavailable

Rule = Callable[[], xr.DataArray]


class Resolver:
    """Lazy, cached layers by name, with the layers each was derived from and its provenance.

    Parameters
    ----------
    rules : mapping of str to callable
        Layer name → function of no argument returning the layer (an ``xarray.DataArray``
        on the region grid), or raising :class:`~scsmap.errors.Unavailable` with the reason.
    fallback : Resolver, optional
        Asked for every name without a rule here.
    """

    def __init__(self, rules: Mapping[str, Rule], fallback: Resolver | None = None):
        self._rules = dict(rules)
        self._fallback = fallback
        self._cache: dict[str, xr.DataArray] = {}
        self._deps: dict[str, set[str]] = {}
        self._stack: list[str] = []
        self._provenance: dict[str, str] = {}

    def get(self, name: str) -> xr.DataArray:
        """The layer ``name`` on the region grid.

        Parameters
        ----------
        name : str

        Returns
        -------
        xarray.DataArray
            Lazy, cached after the first call.

        Raises
        ------
        Unavailable
            If neither an input nor a derivation nor a fill provides it.
        KeyError
            For a name no resolver knows.
        """
        self._depend(name)
        if name not in self._rules:
            if self._fallback is None:
                raise KeyError(name)
            return self._fallback.get(name)
        if name not in self._cache:
            self._stack.append(name)
            try:
                self._cache[name] = self._rules[name]()
            finally:
                self._stack.pop()
        return self._cache[name]

    def optional(self, name: str) -> xr.DataArray | None:
        """The layer ``name``, or None when it is unavailable (:class:`~scsmap.errors.Unavailable`)."""
        try:
            return self.get(name)
        except Unavailable:
            return None

    def missing(self, names: Iterable[str]) -> str | None:
        """Why some of ``names`` are unavailable.

        Parameters
        ----------
        names : iterable of str

        Returns
        -------
        str or None
            The reason of the first unavailable layer; None when all are available.
        """
        for n in names:
            try:
                self.get(n)
            except Unavailable as exc:
                return str(exc)
        return None

    def needs(self, names: Iterable[str]) -> set[str]:
        """``names`` and every layer they were derived from (after :meth:`get`).

        Parameters
        ----------
        names : iterable of str

        Returns
        -------
        set of str
            Including the layers the fallback resolver derived them from.
        """
        seen: set[str] = set()
        todo = list(names)
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo += self._deps.get(n, ())
        return seen | self._fallback.needs(seen) if self._fallback is not None else seen

    @property
    def resolved(self) -> set[str]:
        """The names of the layers made so far by :meth:`get` (here and in the fallback resolver)."""
        own = set(self._cache)
        return own | self._fallback.resolved if self._fallback is not None else own

    @property
    def provenance(self) -> dict[str, str]:
        """Layer name → where it comes from (input file, derivation, fill, model and settings)."""
        own = dict(self._provenance)
        return {**self._fallback.provenance, **own} if self._fallback is not None else own

    def note(self, name: str, text: str, keep: bool = False) -> None:
        """Record where layer ``name`` comes from, and that the layer being derived uses it.

        Parameters
        ----------
        name : str
        text : str
            Provenance, written to the products' ``SOURCE_<name>`` tags.
        keep : bool
            Keep an earlier note of ``name`` (here or in the fallback) instead of replacing it.
        """
        self._depend(name)
        if keep:
            if name not in self.provenance:
                self._provenance[name] = text
        else:
            self._provenance[name] = text

    def _depend(self, name: str) -> None:
        """Record that the layer being derived (if any) uses ``name``."""
        if self._stack:
            self._deps.setdefault(self._stack[-1], set()).add(name)
