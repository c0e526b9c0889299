# Windows: build the one-folder bundle, smoke-test it, then the offline installer with Inno Setup.
# Run from a PowerShell prompt in the source tree, on 64-bit Windows 10/11 with Python 3.11+ (py
# launcher) and Inno Setup 6 (iscc.exe on PATH, or at its default place). Not built or tested on the
# project's Linux machines: PyInstaller does not cross-compile.
#
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
#
# Output: dist\vmi-desktop\ (the bundle, with vmi-desktop.exe for the window and vmi-desktop-cli.exe
# for the command line), dist\vmi-desktop-<version>-windows-x64.zip and
# dist\vmi-desktop-<version>-setup.exe.
$ErrorActionPreference = "Stop"
$Packaging = Split-Path -Parent $PSScriptRoot
$Root = Split-Path -Parent $Packaging
Set-Location $Root

if (-not (Test-Path .venv\Scripts\python.exe)) { py -3 -m venv .venv }
$Py = Join-Path $Root ".venv\Scripts\python.exe"
& $Py -m pip install -q --disable-pip-version-check -e ".[packaging]"
if ($LASTEXITCODE) { throw "pip install failed" }
$Version = & $Py -c "import vmi_desktop; print(vmi_desktop.__version__)"

Remove-Item -Recurse -Force dist\vmi-desktop -ErrorAction SilentlyContinue
& $Py -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build\pyinstaller packaging\vmi-desktop.spec
if ($LASTEXITCODE) { throw "PyInstaller failed" }

# Smoke test of the frozen app with a throw-away data folder.
$Tmp = Join-Path $env:TEMP ("vmi-smoke-" + [guid]::NewGuid())
New-Item -ItemType Directory $Tmp | Out-Null
$env:VMI_DATA_DIR = $Tmp
$Cli = "dist\vmi-desktop\vmi-desktop-cli.exe"
$Db = "sqlite:///" + ($Tmp -replace '\\', '/') + "/smoke.sqlite3"
& $Cli --version; if ($LASTEXITCODE) { throw "--version failed" }
& $Cli --database-url $Db demo --skus 50 --locations 3 --days 30; if ($LASTEXITCODE) { throw "demo failed" }
& $Cli --database-url $Db reorder; if ($LASTEXITCODE) { throw "reorder failed" }
$env:QT_QPA_PLATFORM = "offscreen"; $env:VMI_SMOKE_QUIT_MS = "300"
& $Cli --database-url $Db 2>&1 | Tee-Object -Variable WindowRun
if ($LASTEXITCODE -or -not ($WindowRun -match "main window shown")) { throw "the window did not start" }
Remove-Item Env:QT_QPA_PLATFORM, Env:VMI_SMOKE_QUIT_MS, Env:VMI_DATA_DIR
Remove-Item -Recurse -Force $Tmp

Compress-Archive -Force -Path dist\vmi-desktop -DestinationPath "dist\vmi-desktop-$Version-windows-x64.zip"

$Iscc = (Get-Command iscc.exe -ErrorAction SilentlyContinue).Source
if (-not $Iscc) { $Iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
& $Iscc "/DAppVersion=$Version" packaging\windows\vmi-desktop.iss
if ($LASTEXITCODE) { throw "Inno Setup failed" }
Write-Host "built dist\vmi-desktop-$Version-setup.exe and dist\vmi-desktop-$Version-windows-x64.zip"
