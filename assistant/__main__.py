"""python -m assistant: see assistant.cli."""
from .cli import main

main(prog_name="python -m assistant")
