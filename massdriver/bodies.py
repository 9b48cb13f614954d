"""Physical constants, each with its source: the one place they are defined.

Values are plain floats in km, s, kg (the units of the trajectory kernels), with astropy
``Quantity`` twins built lazily by :func:`quantity` for the units-aware layer.

Sources
-------
[DE421]   W. M. Folkner, J. G. Williams, D. H. Boggs, "The Planetary and Lunar Ephemeris DE 421",
          JPL IOM 343R-08-003 (2008), table of constants (GM values in km^3/s^2). The GMs are the
          ones the ephemeris was integrated with, so the force model stays consistent with it.
[EGM2008] N. K. Pavlis et al., "The development and evaluation of the Earth Gravitational Model
          2008 (EGM2008)", JGR 117, B04406 (2012): a_e = 6378.1363 km, C20 (normalized,
          tide-free) = -4.84165143790815e-4, i.e. J2 = -sqrt(5) C20 = 1.0826261738522e-3.
[GRAIL]   A. S. Konopliv et al., "The JPL lunar gravity field to spherical harmonic degree 660 from
          the GRAIL Primary Mission", JGR Planets 118, 1415 (2013), GL0660B: reference radius
          1738.0 km, normalized C20 = -9.0880835e-5 and C22 = 3.4673798e-5 in the principal-axis
          frame (Table 4). Unnormalized: C_lm = N_lm * Cbar_lm with
          N_lm = sqrt((2 - delta_0m) (2l + 1) (l - m)! / (l + m)!), so J2 = sqrt(5) * 9.0880835e-5
          = 2.0321572e-4 and C22 = sqrt(5/12) * 3.4673798e-5 = 2.2381840e-5.
[IAU2015] E. Mamajek et al., IAU 2015 Resolution B3 (nominal values) and B. A. Archinal et al.,
          "Report of the IAU Working Group on Cartographic Coordinates and Rotational Elements:
          2009", CMDA 109, 101 (2011): mean lunar radius 1737.4 km.
[JPL-3B]  JPL Solar System Dynamics, Three-Body Periodic Orbits database, Earth-Moon system:
          mass ratio mu = 1.215058560962404e-2, length unit 389703.2648292776 km, time unit
          382981.2891290545 s (https://ssd.jpl.nasa.gov/tools/periodic_orbits.html; the API's
          "system" block). L^3 / T^2 equals GM_EARTH + GM_MOON of DE421 to 7e-9.
[SP-413]  NASA SP-413, "Space Settlements: A Design Study" (1977), appendix F: lunar mass driver.
[CODATA]  E. Tiesinga et al., "CODATA recommended values of the fundamental physical constants:
          2018", Rev. Mod. Phys. 93, 025010 (2021): mu_0 = 1.25663706212e-6 N/A^2.
[IACS]    International Annealed Copper Standard (IEC 60028): 1/58 Ohm mm^2/m = 1.7241e-8 Ohm m
          at 20 C. Aluminium: 2.65e-8 Ohm m at 20 C (CRC Handbook of Chemistry and Physics,
          "Electrical resistivity of pure metals").
"""

from __future__ import annotations

import math

__all__ = [
    "GM_EARTH", "GM_MOON", "GM_SUN", "R_EARTH", "R_MOON", "R_MOON_GRAVITY", "J2_EARTH",
    "J2_MOON", "C22_MOON", "OMEGA_EARTH", "EARTH_ATMOSPHERE_ALTITUDE", "ESCAPE_RADIUS",
    "CR3BP_MU", "CR3BP_LENGTH_UNIT", "CR3BP_TIME_UNIT", "CR3BP_VELOCITY_UNIT",
    "MOON_MEAN_DISTANCE", "G0", "DAY", "MU_0", "RHO_COPPER", "RHO_ALUMINIUM", "quantity",
]

# --- Gravitational parameters [DE421], km^3 / s^2 ------------------------------------------------
GM_SUN = 132712440040.944
GM_EARTH = 398600.436233
GM_MOON = 4902.800076

# --- Earth [EGM2008] ---------------------------------------------------------------------------
R_EARTH = 6378.1363                     # km, equatorial radius (also the J2 reference radius)
J2_EARTH = math.sqrt(5.0) * 4.84165143790815e-4   # unnormalized, = -sqrt(5) * C20(normalized)
OMEGA_EARTH = 7.292115e-5               # rad/s, IERS nominal mean angular velocity
EARTH_ATMOSPHERE_ALTITUDE = 120.0       # km, entry-interface altitude used by the events

# --- Moon [GRAIL], [IAU2015] ---------------------------------------------------------------------
R_MOON = 1737.4                         # km, mean radius (surface for sites and impact events)
R_MOON_GRAVITY = 1738.0                 # km, reference radius of GL0660B
J2_MOON = math.sqrt(5.0) * 9.0880835e-5          # unnormalized (-sqrt(5) C20bar), PA frame
C22_MOON = math.sqrt(5.0 / 12.0) * 3.4673798e-5  # unnormalized (sqrt(5/12) C22bar), PA frame
MOON_MEAN_DISTANCE = 384400.0           # km, mean Earth-Moon distance (for scale only)

# --- Earth-Moon CR3BP [JPL-3B] ---------------------------------------------------------------
CR3BP_MU = 1.215058560962404e-2         # M_moon / (M_earth + M_moon)
CR3BP_LENGTH_UNIT = 389703.2648292776       # km
CR3BP_TIME_UNIT = 382981.2891290545         # s  (the rotating frame turns 1 rad per time unit)
CR3BP_VELOCITY_UNIT = CR3BP_LENGTH_UNIT / CR3BP_TIME_UNIT   # km/s

# --- Misc ------------------------------------------------------------------------------------
ESCAPE_RADIUS = 1.5e6                   # km from the Earth: "left the Earth-Moon system" event
G0 = 9.80665                            # m/s^2, standard gravity (g units for the launcher)
DAY = 86400.0                           # s

# --- Electromagnetism and conductors (coilgun, SI) [CODATA], [IACS] ------------------------------
MU_0 = 1.25663706212e-6                 # N/A^2 (= H/m), vacuum permeability
RHO_COPPER = 1.7241e-8                  # Ohm m, annealed copper at 20 C (100 % IACS)
RHO_ALUMINIUM = 2.65e-8                 # Ohm m, pure aluminium at 20 C

_UNITS = {
    "GM_SUN": "km3 / s2", "GM_EARTH": "km3 / s2", "GM_MOON": "km3 / s2",
    "R_EARTH": "km", "R_MOON": "km", "R_MOON_GRAVITY": "km", "MOON_MEAN_DISTANCE": "km",
    "EARTH_ATMOSPHERE_ALTITUDE": "km", "ESCAPE_RADIUS": "km", "OMEGA_EARTH": "rad / s",
    "CR3BP_LENGTH_UNIT": "km", "CR3BP_TIME_UNIT": "s", "CR3BP_VELOCITY_UNIT": "km / s",
    "G0": "m / s2", "DAY": "s", "MU_0": "H / m", "RHO_COPPER": "Ohm m", "RHO_ALUMINIUM": "Ohm m",
}


def quantity(name: str):
    """Return the constant ``name`` as an :class:`astropy.units.Quantity`.

    Parameters
    ----------
    name : str
        One of the module's constant names, e.g. ``"GM_EARTH"``.

    Returns
    -------
    astropy.units.Quantity
        The value with its unit (dimensionless constants get ``u.dimensionless_unscaled``).
    """
    value = globals()[name]
    import astropy.units as u  # here: the kernels import this module, never astropy

    return value * u.Unit(_UNITS.get(name, ""))


assert math.isclose(CR3BP_MU, GM_MOON / (GM_EARTH + GM_MOON), rel_tol=2e-6)
