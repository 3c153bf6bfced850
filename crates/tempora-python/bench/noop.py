"""The no-op job body that persistent stores reference by name."""


def noop() -> None:
    pass
