# Build the one-folder bundle, then the offline installer with Inno Setup (iscc on PATH).
$ErrorActionPreference = "Stop"
Set-Location $PSScriptRoot\..
py -m venv ..\.venv
..\.venv\Scripts\python -m pip install -e "..[dev]"
..\.venv\Scripts\python -m PyInstaller --noconfirm --clean --distpath ..\dist --workpath ..\build vmi-desktop.spec
& ..\dist\vmi-desktop\vmi-desktop.exe --database-url "sqlite:///$env:TEMP\vmi-smoke.sqlite3" db upgrade
iscc windows\vmi-desktop.iss
