"""Time-series persistence behind one small interface (:mod:`store.base`)."""
