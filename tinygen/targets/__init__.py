"""Where generated code runs: the host compiler, emulators and devices."""
