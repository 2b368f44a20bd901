"""``python -m nlp``: the classification commands without the rest of Linli."""

from nlp.cli import main

main()
