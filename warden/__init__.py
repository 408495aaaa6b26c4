"""The composition root: configuration, command line, start-up and shut-down."""
