"""Talking to devices: one sub-package per protocol, plus the poll scheduler.

Drivers know nothing of the twin or the store. They hand samples and device health
to a :class:`drivers.base.SampleSink` and raise only ``DriverError``.
"""
