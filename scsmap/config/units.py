"""Units of input layers through pint: any spelling of a unit of the layer's dimension, converted to its canonical unit.

A config declares, per input, the unit its file stores (``inputs.<layer>.units``). :func:`conversion` parses it
with pint (the project's spellings ``t ha-1``, ``g cm-3``, ``mm month-1`` as well as ``t/ha``, ``Mg ha-1``,
``percent``, ``g/kg``, ``mm/month``, ``degC``, ``°C``, ``K``), checks that its dimension is the layer's and
returns the linear map to the canonical unit of :mod:`scsmap.config.catalogue`,
``canonical = declared * factor + shift``; :mod:`scsmap.io.read` applies it in float32. Three cases go
beyond a linear map between units of one dimension:

* **totals per band.** Monthly precipitation and PET are totals per month, frost days a count per year
  (``LayerSpec.period``): a bare length (``mm``) or time (``days``) is read as the total of the band's
  period. A rate per day or per second is refused for monthly layers: a month has 28 to 31 days, so the
  conversion would depend on the band (convert the file to totals per month first). Water layers
  (``LayerSpec.water``: precipitation, PET) also accept a mass per area (``kg m-2 month-1``, as
  CHELSA v2.1 stores precipitation) through the density of water, 1000 kg m-3.
* **angles.** Slope is canonical in percent (100 × rise / run); an angle (``degree``, ``rad``, ``grad``)
  is turned into percent by ``100 tan(angle)`` (``Conversion.transform``). For every other layer an
  angle is refused: pint calls angles dimensionless, like shares.
* **classes.** Categorical layers (land cover, land use, WRB, baselines) hold codes: ``class`` only.

A bare carbon token (``t C ha-1``, ``g C kg-1``: carbon stated in the unit) is dropped before parsing,
except for temperatures, where ``C`` would be a coulomb and is refused (write ``degC``).

The registry is built on first use (pint reads its definitions file then), never at import.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from .catalogue import LAYERS, LayerSpec

#: the unit string of categorical layers
CLASS_UNIT = "class"
#: the project's exponent spelling ``ha-1``, ``cm3``: a unit name followed by an integer exponent
_EXPONENT = re.compile(r"(?<=[A-Za-zµ°])(-?\d+)(?![\d.])")
#: carbon stated inside a unit (``t C ha-1``): a standalone C
_CARBON = re.compile(r"(?<![\w°])C(?![\w])")
#: density of liquid water [kg m-3]: a water mass per area (kg m-2) is a depth (1 kg m-2 = 1 mm)
WATER_DENSITY = 1000.0
#: rounding of conversion factors (pint's arithmetic leaves noise such as 0.09999999999999999 for 0.1)
_DIGITS = 12


class UnitsError(ValueError):
    """A declared unit that cannot be converted to the layer's canonical unit (the message says why)."""


@dataclass(frozen=True)
class Conversion:
    """The map from a declared unit to the canonical unit: ``canonical = declared * factor + shift``.

    Attributes
    ----------
    factor, shift : float
        The linear map (shift for temperatures in K or degF).
    transform : {"tan_degree", "tan_radian"} or None
        Slope given as an angle: after the linear map (to degrees or radians), ``100 tan(x)``.
    note : str
        What was assumed, e.g. "per month" for a bare length of a monthly layer; empty otherwise.
    """

    factor: float
    shift: float
    transform: str | None = None
    note: str = ""


@functools.cache
def registry() -> Any:
    """The pint unit registry of scsmap (pint's default definitions, plus ``fraction = 1``).

    Returns
    -------
    pint.UnitRegistry
    """
    import pint

    ureg: Any = pint.UnitRegistry(autoconvert_offset_to_baseunit=False)
    ureg.define("fraction = 1")  # a share 0..1, as GIS files often store texture
    return ureg


def _pint_text(text: str, carbon: bool) -> str:
    """A unit string in pint's syntax: ``°C`` → ``degC``, ``ha-1`` → ``ha**-1``, a carbon token dropped."""
    s = text.strip().replace("°C", "degC").replace("ºC", "degC").replace("‰", "permille")
    if carbon:
        s = _CARBON.sub(" ", s)
    s = _EXPONENT.sub(r"**\1", s)
    return " ".join(s.split())


def _dimension(unit: Any) -> str:
    dim = str(unit.dimensionality)
    return "a share (dimensionless)" if dim == "dimensionless" else dim


def _is_angle(ureg: Any, unit: Any) -> bool:
    return bool(unit.dimensionless) and "radian" in str(ureg.Quantity(1.0, unit).to_root_units().units)


def _linear(ureg: Any, declared: Any, canonical: Any, water: bool = False) -> tuple[float, float]:
    """factor and shift of ``declared`` → ``canonical`` (two points, so that offset units work); ``water``:
    a mass of water per area read as a depth (divided by the density of water)."""
    rho = ureg.Quantity(WATER_DENSITY, "kg / m**3")
    at0, at1 = (ureg.Quantity(v, declared) for v in (0.0, 1.0))
    if water:
        at0, at1 = at0 / rho, at1 / rho
    y0, y1 = float(at0.to(canonical).magnitude), float(at1.to(canonical).magnitude)
    return float(f"{y1 - y0:.{_DIGITS}g}"), float(f"{y0:.{_DIGITS}g}")


def hint(spec: LayerSpec) -> str:
    """What a layer accepts, for messages: its dimension, canonical unit and a few spellings.

    Parameters
    ----------
    spec : LayerSpec

    Returns
    -------
    str
        e.g. ``"any unit of [mass] / [length] ** 2, e.g. t ha-1, Mg ha-1, kg m-2, g m-2"``.
    """
    examples = ", ".join(spec.units)
    if spec.unit == CLASS_UNIT:
        return f"'{CLASS_UNIT}' (the layer holds class codes)"
    canonical = registry().Unit(_pint_text(spec.unit, carbon=False))
    extra = " or an angle (degree, rad)" if spec.angles else ""
    return f"any unit of {_dimension(canonical)}{extra}, e.g. {examples}"


@functools.cache
def conversion(layer: str, declared: str) -> Conversion:
    """How values declared in ``declared`` become the canonical unit of ``layer``.

    Parameters
    ----------
    layer : str
        A layer of :data:`scsmap.config.catalogue.LAYERS`.
    declared : str
        The unit the file stores (``inputs.<layer>.units``).

    Returns
    -------
    Conversion

    Raises
    ------
    UnitsError
        A string pint cannot parse, a unit of another dimension (naming the dimension expected and examples),
        an angle for a layer that is not a slope, a rate per day for a monthly total, or anything but
        ``class`` for a categorical layer.
    """
    spec = LAYERS[layer]
    if spec.unit == CLASS_UNIT or declared.strip() == CLASS_UNIT:
        if declared.strip() == CLASS_UNIT and spec.unit == CLASS_UNIT:
            return Conversion(1.0, 0.0)
        raise UnitsError(f"{declared!r} cannot be converted for {layer}; accepted: {hint(spec)}")
    import pint

    ureg = registry()
    canonical = ureg.Unit(_pint_text(spec.unit, carbon=False))
    temperature = str(canonical.dimensionality) == "[temperature]"
    if not declared.strip():
        raise UnitsError(f"no unit given; accepted: {hint(spec)}")
    try:
        unit = ureg.Unit(_pint_text(declared, carbon=not temperature))
    except Exception as exc:  # pint's parser raises many kinds (PintError, AssertionError, TokenError ...)
        raise UnitsError(
            f"{declared!r} is not a unit scsmap understands ({type(exc).__name__}: {exc}); accepted: {hint(spec)}"
        ) from None
    if _is_angle(ureg, unit):
        if not spec.angles:
            raise UnitsError(f"{declared!r} is an angle, not a unit of {layer}; accepted: {hint(spec)}")
        if unit == ureg.degree:
            return Conversion(1.0, 0.0, "tan_degree")
        factor, _ = _linear(ureg, unit, ureg.radian)
        return Conversion(factor, 0.0, "tan_radian")
    try:
        if unit.dimensionality == canonical.dimensionality:
            _calendar_exact(ureg, spec, unit, declared)
            factor, shift = _linear(ureg, unit, canonical)
            return Conversion(factor, shift)
        density = ureg.kilogram / ureg.meter**3
        if spec.water and unit.dimensionality == (canonical * density).dimensionality:
            _calendar_exact(ureg, spec, unit, declared)
            factor, shift = _linear(ureg, unit, canonical, water=True)
            return Conversion(factor, shift, note="a mass of water per area read as a depth (1000 kg m-3)")
        if spec.period is not None:
            total = unit / ureg.Unit(spec.period)
            water = spec.water and total.dimensionality == (canonical * density).dimensionality
            if total.dimensionality == canonical.dimensionality or water:
                factor, shift = _linear(ureg, total, canonical, water=water)
                return Conversion(factor, shift, note=f"each band is the total of one {spec.period}")
    except pint.errors.OffsetUnitCalculusError:
        raise UnitsError(
            f"{declared!r}: a temperature cannot be part of a compound unit here; accepted: {hint(spec)}"
        ) from None
    if temperature and declared.strip() == "C":
        raise UnitsError(f"'C' is a coulomb to pint; write 'degC' for degrees Celsius; accepted: {hint(spec)}")
    raise UnitsError(f"{declared!r} is a unit of {_dimension(unit)}; {layer} needs {hint(spec)}")


def _calendar_exact(ureg: Any, spec: LayerSpec, unit: Any, declared: str) -> None:
    """Refuse a rate per day (hour, second ...) for a layer of totals per month: a month has 28-31 days."""
    if spec.period != "month":
        return
    times = [name for name in unit._units if str(ureg.Unit(name).dimensionality) == "[time]"]
    if any(name != "month" for name in times):
        raise UnitsError(
            f"{declared!r} is a rate per {' and '.join(times)}: the bands of {spec.name} are totals per month, and a "
            f"month has 28 to 31 days, so no single factor converts it; convert the file to totals per month "
            f"(e.g. mm month-1: each band times the days of its month) and declare that"
        )


def check_units(layer: str, declared: str) -> str | None:
    """The problem with a declared unit, as one line for config errors; None when it converts.

    Parameters
    ----------
    layer : str
    declared : str

    Returns
    -------
    str or None
    """
    try:
        conversion(layer, declared)
    except UnitsError as exc:
        return str(exc)
    return None
