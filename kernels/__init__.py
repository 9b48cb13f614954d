"""Compiled numerical kernels of massdriver (numba only).

Installed as ``massdriver.kernels``. Kernels take and return plain float64 scalars and arrays:
no astropy, no matplotlib, no I/O. Units: trajectory kernels use km, s, km/s and TDB seconds past
J2000; CR3BP kernels are non-dimensional; coilgun kernels are SI.
"""
