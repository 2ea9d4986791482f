"""python -m indexer: see indexer.cli."""
from .cli import main

main(prog_name="python -m indexer")
