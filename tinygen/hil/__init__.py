"""Hardware-in-the-loop CI: generated Renode/Robot suites and CI pipelines (GitHub Actions, GitLab CI)."""
