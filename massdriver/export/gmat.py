"""A GMAT mission script per window: the launch state, our force model, the burns, the perigee.

The script (GMAT R2020a and later syntax; checked with the ``gmat-script`` parser and linter in
the tests) sets up:

* ``EarthICRF``: a coordinate system with origin Earth and ``ICRF`` axes, the frame of
  massdriver's states (GMAT's ``EarthMJ2000Eq`` differs from it by the frame bias,
  < 0.1 arcsec);
* the spacecraft at the lunar track exit (epoch in ``TDBModJulian``: days from
  JD 2430000.0, GMAT's modified Julian date; TDB is the integration's scale), its mass
  and a chemical tank holding all of it so the burns can decrement it;
* a force model as close to massdriver's as GMAT allows: Earth gravity field of degree 2,
  order 0 (the J2 term), the Moon and the Sun as point masses, planetary positions from
  JPL DE421 (``SolarSystem.EphemerisSource``). massdriver's lunar J2/C22 near the Moon has no
  GMAT counterpart without a lunar gravity file (it acts only in the first minutes);
  GMAT's own J2 and GM values (from its ``JGM-2`` file by default) differ from DE421's in the
  8th digit;
* a ``PrinceDormand78`` propagator (GMAT has no DOP853; this is the nearest embedded
  Dormand-Prince pair) at accuracy 1e-12;
* the impulsive burns in ``EarthICRF`` axes (the mid-course correction if any, then every
  Earth burn of the window's strategy: the first at the periapsis, the others after the
  intervals :mod:`massdriver.export.burns` computed in two-body dynamics), and a report of
  the perigee (epoch, radius, altitude, speed) before the first Earth burn and after each.

The mission sequence propagates to 99 % of the time of flight and then to the next Earth
periapsis, so a shallow distance minimum just after launch (skipped by massdriver too) does
not stop it.
"""

from __future__ import annotations

import astropy.units as u

__all__ = ["gmat_script", "GMAT_MJD_OFFSET"]

#: Julian date of GMAT's modified Julian date zero (1941-01-05 12:00)
GMAT_MJD_OFFSET = 2430000.0


def _gmat_mjd(epoch) -> str:
    t = epoch.tdb
    days = (float(t.jd1) - GMAT_MJD_OFFSET) + float(t.jd2)
    return f"{days:.12f}"


def gmat_script(case, *, report_file: str | None = None) -> str:
    """The GMAT script text of ``case``.

    Parameters
    ----------
    case : massdriver.export.ExportCase
    report_file : str, optional
        File name of the perigee report (default ``<case.name>_perigee.txt``).

    Returns
    -------
    str
    """
    r = case.positions[0].to_value(u.km)
    v = case.velocities[0].to_value(u.km / u.s)
    mass = float(case.mass.to_value(u.kg))
    isp = float(case.isp.to_value(u.s))
    tof_days = float((case.arrival.epoch.tdb - case.times[0].tdb).to_value(u.day))
    report = report_file or f"{case.name}_perigee.txt"
    budget = case.budget
    lines = [
        f"% massdriver export: {case.mission_name}, {case.name}",
        "% Lunar track exit to the Earth perigee, then the Earth burns.",
        f"% Budget ({budget.get('strategy', '?')}): total "
        f"{float(budget.get('total_km_s', 0.0)):.4f} km/s; every manoeuvre is a burn here "
        f"(sum {sum(float(b.magnitude.to_value(u.km / u.s)) for b in case.burns):.4f} km/s;",
        "% the Earth burns after the first are timed in two-body dynamics, see "
        "massdriver.export.burns).",
        "% States: Earth-centred, ICRF axes; EME2000 (EarthMJ2000Eq) differs by the frame bias,",
        "% < 0.1 arcsec.",
        "",
        "SolarSystem.EphemerisSource = 'DE421';",
        "",
        "Create CoordinateSystem EarthICRF;",
        "EarthICRF.Origin = Earth;",
        "EarthICRF.Axes = ICRF;",
        "",
        "Create ChemicalTank Tank;",
        f"Tank.FuelMass = {mass:.3f};",
        "Tank.AllowNegativeFuelMass = false;",
        "",
        "Create Spacecraft Sat;",
        "Sat.DateFormat = TDBModJulian;",
        f"Sat.Epoch = '{_gmat_mjd(case.times[0])}';",
        "Sat.CoordinateSystem = EarthICRF;",
        "Sat.DisplayStateType = Cartesian;",
        f"Sat.X = {r[0]:.6f};",
        f"Sat.Y = {r[1]:.6f};",
        f"Sat.Z = {r[2]:.6f};",
        f"Sat.VX = {v[0]:.9f};",
        f"Sat.VY = {v[1]:.9f};",
        f"Sat.VZ = {v[2]:.9f};",
        "Sat.DryMass = 0;",
        "Sat.Tanks = {Tank};",
        "",
        "Create ForceModel CoastForces;",
        "CoastForces.CentralBody = Earth;",
        "CoastForces.PrimaryBodies = {Earth};",
        "CoastForces.GravityField.Earth.Degree = 2;",
        "CoastForces.GravityField.Earth.Order = 0;",
        "CoastForces.PointMasses = {Luna, Sun};",
        "CoastForces.Drag = None;",
        "CoastForces.SRP = Off;",
        "",
        "Create Propagator CoastProp;",
        "CoastProp.FM = CoastForces;",
        "CoastProp.Type = PrinceDormand78;",
        "CoastProp.InitialStepSize = 60;",
        "CoastProp.Accuracy = 1e-12;",
        "CoastProp.MinStep = 0;",
        "CoastProp.MaxStep = 86400;",
        "",
    ]
    for b in case.burns:
        dv = b.delta_v.to_value(u.km / u.s)
        lines += [
            f"% {b.name}: {b.description}",
            f"Create ImpulsiveBurn {b.name.upper()};",
            f"{b.name.upper()}.CoordinateSystem = EarthICRF;",
            f"{b.name.upper()}.Element1 = {dv[0]:.9f};",
            f"{b.name.upper()}.Element2 = {dv[1]:.9f};",
            f"{b.name.upper()}.Element3 = {dv[2]:.9f};",
            f"{b.name.upper()}.DecrementMass = true;",
            f"{b.name.upper()}.Tank = {{Tank}};",
            f"{b.name.upper()}.Isp = {isp:g};",
            f"{b.name.upper()}.GravitationalAccel = 9.80665;",
            "",
        ]
    lines += [
        "Create ReportFile PerigeeReport;",
        f"PerigeeReport.Filename = '{report}';",
        "PerigeeReport.WriteHeaders = true;",
        "",
        "BeginMissionSequence;",
    ]
    # ElapsedDays counts from the start of each Propagate command
    earth = [b for b in case.burns if b.name != "mcc"]
    done = 0.0
    for b in case.burns:
        if b.name != "mcc":
            continue
        at = float((b.epoch.tdb - case.times[0].tdb).to_value(u.day))
        lines += [f"Propagate CoastProp(Sat) {{Sat.ElapsedDays = {at - done:.12f}}};",
                  f"Maneuver {b.name.upper()}(Sat);"]
        done = at
    lines += [f"Propagate CoastProp(Sat) {{Sat.ElapsedDays = {0.99 * tof_days - done:.6f}}};",
              "Propagate CoastProp(Sat) {Sat.Earth.Periapsis};",
              "Report PerigeeReport Sat.TDBGregorian Sat.Earth.RMAG Sat.Earth.Altitude "
              "Sat.EarthICRF.VMAG;"]
    # the Earth burns: the first at the periapsis, the others after their intervals
    for k, b in enumerate(earth):
        if k:
            gap = float((b.epoch.tdb - earth[k - 1].epoch.tdb).to_value(u.s))
            lines += [f"Propagate CoastProp(Sat) {{Sat.ElapsedSecs = {gap:.6f}}};"]
        lines += [f"Maneuver {b.name.upper()}(Sat);",
                  "Report PerigeeReport Sat.TDBGregorian Sat.Earth.RMAG Sat.Earth.Altitude "
                  "Sat.EarthICRF.VMAG;"]
    return "\n".join(lines) + "\n"
