"""python -m bot: the same as the `linli` command."""

from bot.cli import main

main()
