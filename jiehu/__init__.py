"""The top floor: the `jiehu` command (cli.py) and the dev stack's composition root (devstack.py). Imported
by nothing; it assembles processes from `stack/` and everything below."""
