"""The command line, `python -m trainer`: options.py builds it, commands.py runs it."""
