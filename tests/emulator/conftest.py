from tests.emulator.fixtures import *  # noqa: F403
