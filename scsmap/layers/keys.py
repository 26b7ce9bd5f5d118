"""Typed keys of the layers a product is made from (no xarray, no dask: the registry imports them).

A product's ``source`` is either the name of one layer of the run (an input-derived layer
such as ``soc_stock`` or a model layer such as ``saturation_ratio``, resolved by
:class:`scsmap.layers.model.Model`) or a :class:`Select`: one output of a stack layer that
holds many outputs on an extra dimension (the practice stack, the GHG stack, the GSOCseq
scenarios), computed once per chunk for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Stack(StrEnum):
    """The stack layers: many outputs computed by one kernel call per chunk."""

    #: suitability, reasons and capped rates of every practice and the composites (:mod:`scsmap.rules.practices`)
    PRACTICES = "practices"
    #: N2O, net GHG balance and costs of every practice and the composites (:mod:`scsmap.rules.ghg`)
    GHG = "ghg"
    #: RothC / GSOCseq scenarios, uncertainty, QA flags (:mod:`scsmap.rothc.gsocseq`)
    GSOCSEQ = "gsocseq"

    @property
    def dim(self) -> str:
        """The stack's output dimension (``practice_output``, ``ghg_output``, ``gsocseq_output``)."""
        return "practice_output" if self is Stack.PRACTICES else f"{self.value}_output"


@dataclass(frozen=True)
class Select:
    """One output of a stack layer.

    Attributes
    ----------
    stack : Stack
    output : str
        The output's name on the stack's output dimension (e.g. ``rate_no_till``, ``asr_bau``).
    gate : str or None
        A layer whose availability the output also needs (e.g. ``gsocseq_uncertainty``, unavailable
        when ``rothc.uncertainty`` is false); None: the stack itself.
    qa_bit : int or None
        GSOCseq map correction: with ``rothc.apply_gsocseq_corrections`` the output is set to
        nodata where this bit of the ``qa_flags`` output is set.
    """

    stack: Stack
    output: str
    gate: str | None = None
    qa_bit: int | None = None

    @property
    def layer(self) -> str:
        """The layer this output is taken from (its gate, else the stack)."""
        return self.gate or self.stack.value


#: what a product is made from: a layer name or one output of a stack
Source = str | Select


def source_layer(source: Source) -> str:
    """The name of the layer a source is computed from (its availability gate for a :class:`Select`).

    Parameters
    ----------
    source : str or Select

    Returns
    -------
    str
    """
    return source.layer if isinstance(source, Select) else source
