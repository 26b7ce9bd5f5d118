"""Units as people read them: one spelling for one unit in the console, the report and the QGIS legends.

The files keep the unit strings of the convention (``t ha-1``, ``t ha-1 yr-1``; carbon is said in the band
description, docs/products.md "Units"); wherever a number is shown to people the carbon is written out:
``t C ha-1``, ``t C ha-1 yr-1``, ``Mt C``, ``Mt C yr-1``, and cost maps show the currency of the cost table
instead of ``currency``. Totals are ``Mt C``, ``Mt C yr-1``, ``Mt CO2 yr-1`` and ``Mt CO2e yr-1``.
"""

from __future__ import annotations

#: file unit → the unit shown to people
_SHOWN = {
    "t ha-1": "t C ha-1",
    "t ha-1 yr-1": "t C ha-1 yr-1",
}


def display_units(units: str, currency: str | None = None) -> str:
    """The unit of a product as shown to people.

    Parameters
    ----------
    units : str
        The unit string of the file (``t ha-1``, ``t ha-1 yr-1``, ``t CO2e ha-1 yr-1``, ``currency t-1 CO2e``, ...).
    currency : str, optional
        The cost table's currency (``USD 2024``), replacing the word ``currency``.

    Returns
    -------
    str
        ``t C ha-1`` for ``t ha-1``, ``t C ha-1 yr-1`` for ``t ha-1 yr-1``, the currency in cost units; other
        units as they are.
    """
    shown = _SHOWN.get(units, units)
    if currency and "currency" in shown:
        shown = shown.replace("currency", currency)
    return shown


#: decimals of a number shown in a unit (console, report tables and brief): what the data resolve
_DECIMALS = {
    "ha": 0,
    "Mt C": 2,
    "Mt C yr-1": 3,
    "Mt CO2 yr-1": 3,
    "Mt CO2e yr-1": 3,
    "t C ha-1": 2,
    "t C ha-1 yr-1": 3,
    "t CO2 ha-1 yr-1": 3,
    "t CO2e ha-1 yr-1": 3,
    "%": 1,
    "degC": 1,
    "mm yr-1": 0,
    "yr": 0,
    "1": 2,
}


def format_value(value: float | None, units: str) -> str:
    """A number as shown to people in ``units`` (a unit of :func:`display_units` or a total's unit).

    The number of decimals is fixed per unit (``Mt C`` 2, ``Mt C yr-1`` 3, ``t C ha-1`` 2, ``t C ha-1 yr-1``
    3, ``%`` 1, ``ha`` 0 ...; costs 1, others 4 significant digits), with thousands separators. A value
    that rounds to zero prints as ``0`` (no float noise such as ``1.46e-15``, no ``-0.000``); a missing
    value (None, NaN) as ``–``.

    Parameters
    ----------
    value : float or None
    units : str

    Returns
    -------
    str
    """
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return "–"
    decimals = _DECIMALS.get(units)
    if decimals is None and "t-1 CO2e" in units:
        decimals = 1
    if decimals is None:
        text = f"{value:,.4g}"
        return "0" if float(text.replace(",", "")) == 0 else text
    text = f"{value:,.{decimals}f}"
    return "0" if float(text.replace(",", "")) == 0 else text
