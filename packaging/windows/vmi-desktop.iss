; Inno Setup script: per-user offline installer of the PyInstaller bundle.
[Setup]
AppName=VMI Desktop
AppVersion=0.1.0
DefaultDirName={localappdata}\Programs\VMI Desktop
DefaultGroupName=VMI Desktop
PrivilegesRequired=lowest
OutputDir=..\..\dist
OutputBaseFilename=vmi-desktop-setup
Compression=lzma2
SolidCompression=yes

[Files]
Source: "..\..\dist\vmi-desktop\*"; DestDir: "{app}"; Flags: recursesubdirs

[Icons]
Name: "{group}\VMI Desktop"; Filename: "{app}\vmi-desktop.exe"
