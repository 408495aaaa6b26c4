"""The HTTP and WebSocket surface for engineers and operators."""
