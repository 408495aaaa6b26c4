"""Live state on the topology: samples applied, state derived, events published."""
