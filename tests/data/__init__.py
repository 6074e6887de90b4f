from pathlib import Path

files_dir = Path(__file__).parent / "files"
