"""notify's rules: pure functions and dataclasses, no I/O (the layout of the morning digest, which mail an
event makes and for whom)."""
