"""``python -m csec_ld``."""

from .cli import main

main(prog_name="csec-ld")
