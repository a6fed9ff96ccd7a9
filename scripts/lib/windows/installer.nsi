; Aviso's Windows setup (NSIS 3, built on Linux by scripts/windows with Debian's makensis).
;
; Per user, no administrator rights: the files go to %LOCALAPPDATA%\Programs\Aviso, the
; registry entries to HKCU. It installs aviso.exe (the tray app), aviso-cli.exe and
; WebView2Loader.dll (the app's WebView2 loader), a Start-menu shortcut carrying Aviso's
; AppUserModelID (so Windows attributes its toasts to Aviso), the same id's registration,
; optionally a start-at-login entry (the Run key, the one the app's own setting uses), and
; an uninstaller listed in "Apps & features" that removes all of that. The user's accounts
; and stored notifications (%APPDATA%\Aviso, %LOCALAPPDATA%\Aviso) are theirs and stay.
;
; makensis -DVERSION=x.y.z -DSRC=<folder with the three files and icon.ico> -DOUT=<setup.exe>
; Silent: aviso-setup.exe /S [/AUTOSTART=0|1] [/D=<folder>]

; A 64-bit setup: Aviso is x86_64 only, and a 64-bit setup writes the 64-bit registry view
; and runs under a 64-bit-only Wine prefix (Debian's nsis ships the amd64-unicode stubs).
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma

!include LogicLib.nsh
!include FileFunc.nsh
!include MUI2.nsh
!include Win\COM.nsh
!include Win\Propkey.nsh

!define PRODUCT "Aviso"
; Also tauri.conf.json's identifier and src-tauri/app_id.rs.
!define AUMID "app.aviso.desktop"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${PRODUCT}"
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define AUMID_KEY "Software\Classes\AppUserModelId\${AUMID}"
; The WebView2 Runtime's client id (Microsoft: "Detect if a WebView2 Runtime is installed").
!define WEBVIEW2_GUID "{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"

Name "${PRODUCT}"
OutFile "${OUT}"
InstallDir "$LOCALAPPDATA\Programs\${PRODUCT}"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
Icon "${SRC}\icon.ico"
UninstallIcon "${SRC}\icon.ico"
BrandingText "${PRODUCT} ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${PRODUCT}"
VIAddVersionKey "FileDescription" "${PRODUCT} setup"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "LegalCopyright" "MIT"

!define MUI_ICON "${SRC}\icon.ico"
!define MUI_UNICON "${SRC}\icon.ico"
!define MUI_COMPONENTSPAGE_NODESC
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_RUN "$INSTDIR\aviso.exe"
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
; Spanish first: most of our users read it; the installer follows the system's language.
!insertmacro MUI_LANGUAGE "Spanish"
!insertmacro MUI_LANGUAGE "English"

LangString SecAutostart ${LANG_SPANISH} "Iniciar Aviso con Windows"
LangString SecAutostart ${LANG_ENGLISH} "Start Aviso with Windows"
LangString NoWebView2 ${LANG_SPANISH} "Aviso necesita Microsoft Edge WebView2 Runtime para mostrar su ventana, y este equipo no lo tiene (Windows 11 lo incluye). Instálelo desde el sitio de Microsoft («WebView2 Runtime») y vuelva a abrir Aviso. Los avisos y el icono de la bandeja funcionan sin él."
LangString NoWebView2 ${LANG_ENGLISH} "Aviso needs the Microsoft Edge WebView2 Runtime to show its window, and this computer does not have it (Windows 11 includes it). Install it from Microsoft's site ($\"WebView2 Runtime$\") and open Aviso again. Toasts and the tray icon work without it."

Var autostart


; Writes the Start-menu shortcut with System.AppUserModel.ID set (the pattern of NSIS's
; own Include\Win\COM.nsh example): IShellLink, its IPropertyStore, IPersistFile::Save.
Function WriteShortcut
  !insertmacro ComHlpr_CreateInProcInstance ${CLSID_ShellLink} ${IID_IShellLink} r0 ""
  ${If} $0 P<> 0
    ${IShellLink::SetPath} $0 '("$INSTDIR\aviso.exe").r1'
    ${IShellLink::SetWorkingDirectory} $0 '("$INSTDIR").r1'
    ${IShellLink::SetIconLocation} $0 '("$INSTDIR\icon.ico",0).r1'
    ${IUnknown::QueryInterface} $0 '("${IID_IPropertyStore}",.r1)'
    ${If} $1 P<> 0
      System::Call '*${SYSSTRUCT_PROPERTYKEY}(${PKEY_AppUserModel_ID})p.r2'
      System::Call '*${SYSSTRUCT_PROPVARIANT}(${VT_LPWSTR},,w "${AUMID}")p.r3'
      ${IPropertyStore::SetValue} $1 '($2,$3)'
      System::Free $2
      System::Free $3
      ${IPropertyStore::Commit} $1 ""
      ${IUnknown::Release} $1 ""
    ${EndIf}
    ${IUnknown::QueryInterface} $0 '("${IID_IPersistFile}",.r1)'
    ${If} $1 P<> 0
      ${IPersistFile::Save} $1 '("$SMPROGRAMS\${PRODUCT}.lnk",1)'
      ${IUnknown::Release} $1 ""
    ${EndIf}
    ${IUnknown::Release} $0 ""
  ${EndIf}
  ; Where COM could not write it, a plain shortcut still starts the app.
  ${IfNot} ${FileExists} "$SMPROGRAMS\${PRODUCT}.lnk"
    CreateShortcut "$SMPROGRAMS\${PRODUCT}.lnk" "$INSTDIR\aviso.exe" "" "$INSTDIR\icon.ico"
  ${EndIf}
FunctionEnd

Section "${PRODUCT}" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  File "${SRC}\aviso.exe"
  File "${SRC}\aviso-cli.exe"
  File "${SRC}\WebView2Loader.dll"
  File "${SRC}\icon.ico"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  Call WriteShortcut
  ; The start-at-login section below writes it again when chosen: a reinstall without it
  ; turns start at login off.
  DeleteRegValue HKCU "${RUN_KEY}" "${PRODUCT}"
  WriteRegStr HKCU "${AUMID_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${AUMID_KEY}" "IconUri" "$INSTDIR\icon.ico"

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\icon.ico"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" $0

  ; The WebView2 Runtime registers its version ("pv") per machine (under WOW6432Node on
  ; 64-bit Windows) or per user; missing or 0.0.0.0 means not installed.
  SetRegView 64
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKCU "Software\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${EndIf}
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    DetailPrint "$(NoWebView2)"
    ; The same words beside the app: what a silent install (and support) can read later.
    FileOpen $1 "$INSTDIR\webview2-missing.txt" w
    FileWrite $1 "$(NoWebView2)"
    FileClose $1
    MessageBox MB_OK|MB_ICONINFORMATION "$(NoWebView2)" /SD IDOK
  ${Else}
    Delete "$INSTDIR\webview2-missing.txt"
  ${EndIf}
SectionEnd

Section "$(SecAutostart)" SecAutostart
  ; The same value the app's "start at login" setting writes (tauri-plugin-autostart), so
  ; the setting shows it as on and turning it off removes it.
  WriteRegStr HKCU "${RUN_KEY}" "${PRODUCT}" '"$INSTDIR\aviso.exe" --hidden'
SectionEnd

Section "Uninstall"
  ; A running tray app holds its exe open: ask it to quit first.
  nsExec::Exec 'taskkill /IM aviso.exe'
  Delete "$INSTDIR\aviso.exe"
  Delete "$INSTDIR\aviso-cli.exe"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\icon.ico"
  Delete "$INSTDIR\webview2-missing.txt"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${PRODUCT}.lnk"
  DeleteRegValue HKCU "${RUN_KEY}" "${PRODUCT}"
  DeleteRegValue HKCU "Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run" "${PRODUCT}"
  DeleteRegKey HKCU "${AUMID_KEY}"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd

Function .onInit
  ; /AUTOSTART=0 or 1 on the command line (silent installs); the page's checkbox otherwise.
  StrCpy $autostart 1
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/AUTOSTART=" $R1
  ${IfNot} ${Errors}
    StrCpy $autostart $R1
  ${EndIf}
  ${If} $autostart == 0
    SectionSetFlags ${SecAutostart} 0
  ${EndIf}
FunctionEnd
