"""RothC-26.3 constants and the small closed-form parameter functions (docs/methods/rothc.md §2.1).

Every constant carries its source. Units: rate constants in yr-1, pools and inputs
in t C ha-1 (written ``t ha-1`` in files), clay in % of the fine earth, depth in cm,
rainfall and evaporation in mm month-1.

Pool order used everywhere in :mod:`scsmap.rothc`: ``DPM, RPM, BIO, HUM, IOM``
(index 0-4); the four *active* pools are the first four.

References
----------
Jenkinson, D.S. (1990) The turnover of organic carbon and nitrogen in soil.
Phil. Trans. R. Soc. Lond. B 329:361-368.
Coleman, K. & Jenkinson, D.S. RothC-26.3 - A model for the turnover of carbon in
soil. Model description and users guide (Rothamsted Research; ``RothC_description.pdf``
in Rothamsted-Models/RothC_Py @f2ab6df, §1.3-1.7).
Falloon, P., Smith, P., Coleman, K. & Marshall, S. (1998) Estimating the size of the
inert organic matter pool from total soil organic carbon content for use in the
Rothamsted carbon model. Soil Biol. Biochem. 30:1207-1211.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._types import FloatArray

#: Pool names in array order (pool axis first in every state array; the first four are active).
POOLS = ("DPM", "RPM", "BIO", "HUM", "IOM")

# --- decomposition rate constants [yr-1] (Coleman & Jenkinson §1.5; RothC_Py ``decomp``) ---
K_DPM = 10.0
K_RPM = 0.3
K_BIO = 0.66
K_HUM = 0.02
#: Rate constants of the active pools, DPM, RPM, BIO, HUM [yr-1] (IOM: 0).
K_ACTIVE: FloatArray = np.array([K_DPM, K_RPM, K_BIO, K_HUM], dtype=np.float64)

#: The Rothamsted monthly time step [yr].
TIME_STEP_YR = 1.0 / 12.0

# --- partition of decomposed C (Coleman & Jenkinson §1.4) ---
#: Share of the (BIO + HUM) flux going to BIO, resp. HUM.
BIO_SHARE = 0.46
HUM_SHARE = 0.54

# --- farmyard manure (organic amendment) split (Coleman & Jenkinson §1.3) ---
FYM_DPM = 0.49
FYM_RPM = 0.49
FYM_HUM = 0.02

# --- DPM/RPM ratio (DR) of plant inputs (Coleman & Jenkinson §1.3) ---
# (docs/methods/gsocseq.md §1.3, docs/methods/rothc.md §2.1)
#: Default DR by vegetation type [-].
DR_DEFAULTS = {
    "crops_improved_grassland": 1.44,  # 59 % DPM / 41 % RPM
    "unimproved_grassland_scrub": 0.67,  # incl. savanna
    "woodland": 0.25,  # deciduous or tropical woodland, 20 % / 80 %
}
DR_CROPS = DR_DEFAULTS["crops_improved_grassland"]

# --- rate-modifying factors (Coleman & Jenkinson §1.6; RothC_Py ``RMF_*``) ---
#: Temperature factor a = TEMP_A / (1 + exp(TEMP_B / (T + TEMP_C))); 0 below TEMP_MIN [degC].
TEMP_A = 47.91
TEMP_B = 106.06
TEMP_C = 18.27
TEMP_MIN = -5.0
#: SoilR / GSOCseq variant (SoilR ``fT.RothC``): NaN below -SOILR_TEMP_C [degC].
SOILR_TEMP_A = 47.9
SOILR_TEMP_B = 106.0
SOILR_TEMP_C = 18.3

#: Topsoil moisture deficit: SMDmax = -(SMD_A + SMD_B*clay - SMD_C*clay^2) [mm for 0-23 cm].
SMD_A = 20.0
SMD_B = 1.3
SMD_C = 0.01
SMD_REF_DEPTH_CM = 23.0
#: Deficit at -1 bar as a share of the depth-adjusted maximum deficit.
SMD_1BAR_SHARE = 0.444
#: Bare-soil deficit limit as a share of the depth-adjusted maximum (= 1/1.8).
SMD_BARE_SHARE = 0.556
#: Moisture factor bounds (RMFMin 0.2 in version 1.0.0; ``minRM_Moist`` in v2 files).
RM_MOIST_MIN = 0.2
RM_MOIST_MAX = 1.0
#: Open-pan evaporation -> evapotranspiration: DF = rain - PAN_COEFF * pan evaporation.
#: Pass ``evap_coeff=1.0`` when the input is already PET (GSOCseq scripts do so).
PAN_COEFF = 0.75

#: Soil-cover factor c: vegetated (PC = 1) vs bare (PC = 0).
COVER_VEGETATED = 0.6
COVER_BARE = 1.0
#: Paddy-field decomposition factor (GSOCseq scripts, after Shirato & Yokozawa 2005).
PADDY_FACTOR = 0.4

# --- equilibrium (RothC_Py main loop; RothC Fortran Shell.for) ---
#: Stop when |sum(active, Dec y) - sum(active, Dec y-1)| < EQ_TOL [t C ha-1].
EQ_TOL = 1e-6

# --- radiocarbon bookkeeping (RothC_Py ``decomp``) ---
#: Libby half-life [yr]; decay constant conr = ln 2 / 5568.
C14_HALF_LIFE = 5568.0
#: Mean life used for delta14C from the radiocarbon age [yr]: delta = (exp(-age/8035) - 1)*1000.
C14_MEAN_LIFE = 8035.0
#: Radiocarbon age of the IOM pool [yr].
IOM_AGE = 50000.0

# --- IOM after Falloon et al. (1998): IOM = FALLOON_A * TOC ** FALLOON_B [t C ha-1] ---
FALLOON_A = 0.049
FALLOON_B = 1.139


def x_clay(clay: ArrayLike) -> FloatArray:
    """Ratio CO2 / (BIO + HUM) produced by decomposition, from clay content.

    ``x = 1.67 · (1.85 + 1.60 · exp(−0.0786 · clay))``.

    Parameters
    ----------
    clay : array_like
        Clay content [% of the fine earth].

    Returns
    -------
    numpy.ndarray or float
        x [-]; the fraction of decomposed C released as CO2 is x/(x+1), to BIO
        0.46/(x+1), to HUM 0.54/(x+1).

    References
    ----------
    Coleman & Jenkinson, RothC-26.3 model description §1.4 (the factor 1.67 scales
    the Rothamsted ratio to 3.51 at 23.4 % clay). Check values (docs/methods/rothc.md §2.1):
    clay 0 → 5.762, 23.4 → 3.514, 60 → 3.113.
    """
    return 1.67 * (1.85 + 1.60 * np.exp(-0.0786 * np.asarray(clay, dtype=np.float64)))


def falloon_iom(toc: ArrayLike) -> FloatArray:
    """Inert organic matter from total organic carbon (Falloon et al. 1998).

    ``IOM = 0.049 · TOC^1.139``.

    Parameters
    ----------
    toc : array_like
        Total soil organic carbon [t C ha-1].

    Returns
    -------
    numpy.ndarray or float
        IOM [t C ha-1].

    References
    ----------
    Falloon, P. et al. (1998) Soil Biol. Biochem. 30:1207-1211, eq. 1. Check values
    (docs/methods/rothc.md §2.1): TOC 20 → 1.486, 100 → 9.294.
    """
    return FALLOON_A * np.asarray(toc, dtype=np.float64) ** FALLOON_B


def dpm_share(dr: ArrayLike) -> FloatArray:
    """Share of plant input going to DPM, ``DR / (DR + 1)`` (RPM gets ``1 / (DR + 1)``).

    Parameters
    ----------
    dr : array_like
        DPM/RPM ratio [-].

    Returns
    -------
    numpy.ndarray or float
        [-].
    """
    dr = np.asarray(dr, dtype=np.float64)
    return dr / (dr + 1.0)
