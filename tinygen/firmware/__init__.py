"""Firmware: PlatformIO projects for boards, built offline, with a size report."""
