; Inno Setup 6 script: offline installer of the PyInstaller bundle (dist\vmi-desktop\).
; Built by packaging\windows\build.ps1 (iscc /DAppVersion=<version> packaging\windows\vmi-desktop.iss).
;
; Per-user by default (no administrator rights: %LOCALAPPDATA%\Programs\VMI Desktop); IT can
; install for all users with /ALLUSERS (Program Files) from an elevated prompt. Silent install:
;   vmi-desktop-<version>-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART [/ALLUSERS] [/TASKS="clipath"]
; Data is never touched by setup or uninstall: the database, settings and logs live in the
; user's own folders (%LOCALAPPDATA%\vmi-desktop), or on the shared PostgreSQL server.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6C1B7E52-5E0B-4C39-9C0A-3E1D8B8F4A21}
AppName=VMI Desktop
AppVersion={#AppVersion}
AppVerName=VMI Desktop {#AppVersion}
AppPublisher=VMI Desktop team
DefaultDirName={autopf}\VMI Desktop
DefaultGroupName=VMI Desktop
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=commandline dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename=vmi-desktop-{#AppVersion}-setup
SetupIconFile=..\icons\vmi-desktop.ico
UninstallDisplayIcon={app}\vmi-desktop.exe
UninstallDisplayName=VMI Desktop {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesEnvironment=yes
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "Create a &desktop shortcut"; GroupDescription: "Shortcuts:"; Flags: unchecked
Name: "clipath"; Description: "Add the vmi-desktop-cli command to the PATH (for scripts and scheduled sync)"; GroupDescription: "Command line:"; Flags: unchecked

[Files]
Source: "..\..\dist\vmi-desktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\VMI Desktop"; Filename: "{app}\vmi-desktop.exe"; WorkingDir: "{app}"
Name: "{autodesktop}\VMI Desktop"; Filename: "{app}\vmi-desktop.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Registry]
; The PATH entry: per user (HKCU) for a per-user install, machine-wide (HKLM) with /ALLUSERS.
Root: HKA; Subkey: "{code:EnvironmentKey}"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: clipath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\vmi-desktop.exe"; Description: "Start VMI Desktop"; Flags: nowait postinstall skipifsilent

[Code]
function EnvironmentKey(Param: string): string;
begin
  if IsAdminInstallMode then
    Result := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
  else
    Result := 'Environment';
end;

function NeedsAddPath(Dir: string): Boolean;
var
  Current: string;
  RootKey: Integer;
begin
  if IsAdminInstallMode then RootKey := HKEY_LOCAL_MACHINE else RootKey := HKEY_CURRENT_USER;
  if not RegQueryStringValue(RootKey, EnvironmentKey(''), 'Path', Current) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Current) + ';') = 0;
end;

procedure RemoveFromPath(Dir: string);
var
  Current: string;
  RootKey, P: Integer;
begin
  if IsAdminInstallMode then RootKey := HKEY_LOCAL_MACHINE else RootKey := HKEY_CURRENT_USER;
  if not RegQueryStringValue(RootKey, EnvironmentKey(''), 'Path', Current) then exit;
  P := Pos(';' + Uppercase(Dir), Uppercase(Current));
  if P = 0 then exit;
  Delete(Current, P, Length(Dir) + 1);
  RegWriteExpandStringValue(RootKey, EnvironmentKey(''), 'Path', Current);
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    RemoveFromPath(ExpandConstant('{app}'));
end;
