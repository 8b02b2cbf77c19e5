from jiehu.cli import app

app()
