"""Inputs of a run: the aligned input layers on the region grid (:mod:`.align`) and the layers
derived from them (:mod:`.derive`: SOC stock from content, air temperature from LST, PET,
land use from land cover, slope, annual climate)."""
