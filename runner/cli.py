"""Command line entry point (placeholder until the runner core lands)."""


def main() -> int:
    return 0
