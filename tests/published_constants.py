"""Constants as printed in their sources, written out literally (never read from the package).

The reference models of ``test_forces.py`` and ``test_trajectory.py`` use these numbers, and
``test_bodies.py`` pins every constant of :mod:`massdriver.bodies` to them: a wrong constant in
the package fails those tests instead of passing every cross-check built on the same number.

Sources
-------
[DE421]   W. M. Folkner, J. G. Williams, D. H. Boggs, "The Planetary and Lunar Ephemeris DE 421",
          JPL IOM 343R-08-003 (2008), table of GM values (km^3/s^2).
[DE430]   W. M. Folkner et al., "The Planetary and Lunar Ephemerides DE430 and DE431",
          IPN Progress Report 42-196 (2014), Table 8 (listed to tell the two apart).
[EGM2008] N. K. Pavlis et al., JGR 117, B04406 (2012): a_e and tide-free normalised C20.
[GRAIL]   A. S. Konopliv et al., JGR Planets 118, 1415 (2013), GL0660B, Table 4: reference
          radius and normalised C20, C22 (principal-axis frame).
[IAU]     B. A. Archinal et al., CMDA 109, 101 (2011): mean lunar radius.
[IERS]    G. Petit, B. Luzum (eds.), IERS Conventions (2010), IERS TN 36, Table 1.1: nominal
          mean angular velocity of the Earth.
[JPL-3B]  JPL SSD Three-Body Periodic Orbits API (https://ssd.jpl.nasa.gov/tools/
          periodic_orbits.html), Earth-Moon "system" block: mass ratio, length and time units.
[CGPM]    3rd CGPM (1901), standard acceleration of gravity (BIPM SI Brochure).
[CODATA]  E. Tiesinga et al., Rev. Mod. Phys. 93, 025010 (2021): vacuum permeability (2018).
[IACS]    IEC 60028 (1925): annealed copper, 1/58 Ohm mm^2/m at 20 C.
[CRC]     CRC Handbook of Chemistry and Physics, "Electrical Resistivity of Pure Metals":
          aluminium 2.650 microOhm cm at 293 K.
[NSSDC]   NASA NSSDC Moon fact sheet / JPL Horizons body data: semi-major axis 384400 km.
"""

# [DE421] (km^3/s^2)
DE421_GM_SUN = 132712440040.944
DE421_GM_EARTH = 398600.436233
DE421_GM_MOON = 4902.800076
# [DE430] Table 8 (km^3/s^2): NOT the ephemeris massdriver ships
DE430_GM_EARTH = 398600.435436
DE430_GM_MOON = 4902.800066

# [EGM2008]
EGM2008_A_E = 6378.1363                 # km
EGM2008_C20_NORMALISED = -4.84165143790815e-4

# [GRAIL] GL0660B
GL0660B_RADIUS = 1738.0                 # km
GL0660B_C20_NORMALISED = -9.0880835e-5
GL0660B_C22_NORMALISED = 3.4673798e-5

# [IAU]
IAU_MOON_MEAN_RADIUS = 1737.4           # km

# [IERS]
IERS_OMEGA_EARTH = 7.292115e-5          # rad/s

# [JPL-3B]
JPL3B_MU = 1.215058560962404e-2
JPL3B_LENGTH_UNIT = 389703.2648292776   # km
JPL3B_TIME_UNIT = 382981.2891290545     # s

# [CGPM], [CODATA], [IACS], [CRC], [NSSDC]
STANDARD_GRAVITY = 9.80665              # m/s^2 (exact by definition)
CODATA2018_MU_0 = 1.25663706212e-6      # N/A^2
IACS_COPPER_RESISTIVITY = 1.0 / 58.0 * 1e-6   # Ohm m (1/58 Ohm mm^2/m)
CRC_ALUMINIUM_RESISTIVITY_293K = 2.650e-8     # Ohm m
MOON_SEMI_MAJOR_AXIS = 384400.0         # km

# Harmonics unnormalised with N_lm = sqrt((2 - delta_0m) (2l + 1) (l - m)! / (l + m)!):
# N20 = sqrt(5), N22 = sqrt(5/12) (derived and checked in test_bodies.py)
J2_EARTH = -(5.0 ** 0.5) * EGM2008_C20_NORMALISED
J2_MOON = -(5.0 ** 0.5) * GL0660B_C20_NORMALISED
C22_MOON = (5.0 / 12.0) ** 0.5 * GL0660B_C22_NORMALISED
