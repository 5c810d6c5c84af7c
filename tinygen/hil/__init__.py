"""Hardware-in-the-loop: files that run tinygen's validation in CI and on board farms (labgrid
environments and pytest modules, Renode Robot suites, CI workflows)."""
