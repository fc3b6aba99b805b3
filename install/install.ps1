# Installs aad-setup on Windows from a GitHub release: the x86_64 zip, its
# SHA-256 checked against the release's checksum file, the binary put in a
# directory (default $env:LOCALAPPDATA\Programs\aad-setup, added to the
# user's PATH). Nothing is installed unless the checksum matches.
#
#   powershell -ExecutionPolicy Bypass -c "irm https://github.com/ORG/aad-setup/releases/latest/download/install.ps1 | iex"
#
# Variables (or parameters when the script is run as a file):
#   AAD_SETUP_VERSION      -Version   a release tag (v0.2.0), default latest
#   AAD_SETUP_INSTALL_DIR  -To        where aad-setup.exe goes
#   AAD_SETUP_REPO                    owner/name on GitHub (set by the release)
#   AAD_SETUP_RELEASES_URL            where releases live, default
#     https://github.com/$repo/releases; a mirror (or a file:/// directory)
#     laid out the same way: latest/download/<file>, download/<tag>/<file>
param(
  [string]$Version = $(if ($env:AAD_SETUP_VERSION) { $env:AAD_SETUP_VERSION } else { 'latest' }),
  [string]$To = $env:AAD_SETUP_INSTALL_DIR,
  [switch]$NoModifyPath
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

# The release workflow writes the repository here in the copy it publishes.
$Repo = if ($env:AAD_SETUP_REPO) { $env:AAD_SETUP_REPO } else { 'ORG/aad-setup' }

# A terminating error, not `exit`: under `irm … | iex`, exit would close
# the user's PowerShell window; run as a file, it exits with 1.
function Fail([string]$Message) {
  throw "aad-setup install: error: $Message"
}
function Say([string]$Message) { Write-Host "aad-setup install: $Message" }

if ($Version -match '^[0-9]') { $Version = "v$Version" }
if ($Version -ne 'latest' -and $Version -notmatch '^v[0-9]') {
  Fail "version '$Version' is not a release tag (v1.2.3) or latest"
}
if (-not $To) { $To = Join-Path $env:LOCALAPPDATA 'Programs\aad-setup' }

$arch = [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture
switch ("$arch") {
  'X64' { $Target = 'x86_64-pc-windows-msvc' }
  # Windows on Arm runs the x86_64 build under emulation.
  'Arm64' { $Target = 'x86_64-pc-windows-msvc' }
  default { Fail "no release archive for the CPU '$arch'; build from source: cargo install --locked --git https://github.com/$Repo" }
}

$Base = if ($env:AAD_SETUP_RELEASES_URL) { $env:AAD_SETUP_RELEASES_URL.TrimEnd('/') } else { "https://github.com/$Repo/releases" }
$From = if ($Version -eq 'latest') { "$Base/latest/download" } else { "$Base/download/$Version" }
$Archive = "aad-setup-$Target.zip"

function Download([string]$Url, [string]$File) {
  if ($Url -like 'file:*') {
    Copy-Item -LiteralPath ([System.Uri]$Url).LocalPath -Destination $File
  } else {
    [Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12
    Invoke-WebRequest -UseBasicParsing -Uri $Url -OutFile $File
  }
}

$Tmp = Join-Path ([System.IO.Path]::GetTempPath()) ("aad-setup-install-" + [guid]::NewGuid())
New-Item -ItemType Directory -Path $Tmp | Out-Null
try {
  Say "downloading $Archive ($Version) from $From"
  try { Download "$From/$Archive" (Join-Path $Tmp $Archive) }
  catch { Fail "could not download $From/$Archive (is $Version released for $Target?): $_" }
  try { Download "$From/$Archive.sha256" (Join-Path $Tmp "$Archive.sha256") }
  catch { Fail "could not download the checksum $From/$Archive.sha256; nothing installed" }

  $Expected = ((Get-Content -Raw (Join-Path $Tmp "$Archive.sha256")).Trim() -split '\s+')[0].ToLowerInvariant()
  if ($Expected -notmatch '^[0-9a-f]{64}$') { Fail "the checksum file $Archive.sha256 holds no SHA-256; nothing installed" }
  $Actual = (Get-FileHash -Algorithm SHA256 -LiteralPath (Join-Path $Tmp $Archive)).Hash.ToLowerInvariant()
  if ($Expected -ne $Actual) {
    Fail "checksum mismatch for ${Archive}: the release says $Expected, the download is $Actual; nothing installed"
  }
  Say "checksum ok ($Actual)"

  $Unpacked = Join-Path $Tmp 'x'
  Expand-Archive -LiteralPath (Join-Path $Tmp $Archive) -DestinationPath $Unpacked
  $Exe = Join-Path $Unpacked 'aad-setup.exe'
  if (-not (Test-Path -LiteralPath $Exe)) { Fail "$Archive holds no aad-setup.exe; nothing installed" }

  New-Item -ItemType Directory -Force -Path $To | Out-Null
  Copy-Item -LiteralPath $Exe -Destination (Join-Path $To 'aad-setup.exe') -Force
  Say "installed $(Join-Path $To 'aad-setup.exe')"

  $UserPath = [Environment]::GetEnvironmentVariable('Path', 'User')
  $OnPath = @($UserPath -split ';') -contains $To
  if (-not $OnPath -and -not $NoModifyPath) {
    $NewPath = if ($UserPath) { "$To;$UserPath" } else { $To }
    [Environment]::SetEnvironmentVariable('Path', $NewPath, 'User')
    Say "added $To to your PATH (new terminals see it)"
  }
} finally {
  Remove-Item -Recurse -Force -LiteralPath $Tmp -ErrorAction SilentlyContinue
}
