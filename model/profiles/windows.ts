// Windows 10/11 PowerShell script: (re)creates the built-in IKEv2 connection with EAP
// (MSCHAPv2), pins our modern suite, keeps IPv6 and DNS inside the tunnel and stores the
// credentials. Every value is a single-quoted PowerShell literal (psQuote) assigned to a
// variable at the top; the commands below only reference those variables.
//
// Without a known password (an offline render) the script stores no credentials at all:
// no $Password, no RasSetCredentials. Add-VpnConnection -RememberCredential makes Windows
// ask for user name and password at the first connection and keep what the user typed
// (Microsoft's Add-VpnConnection reference: "the credentials supplied at the time of first
// successful connection are stored in the cache").
//
// What the cmdlets cannot set (Microsoft's VpnClient module reference, learn.microsoft.com):
// - SA lifetimes: Set-VpnConnectionIPsecConfiguration takes only the six transform/group
//   parameters below; Windows rekeys on its own schedule, which is why the server never starts
//   a rekey (model/rekey.ts).
// - a tunnel MTU: neither Add-VpnConnection nor Set-VpnConnection has an MTU parameter; the
//   server's TCP MSS clamping covers TCP instead.
import { psQuote } from "../escape";
import { storablePassword } from "../placeholders";
import { Algo, CLIENT_SUITES, ClientSuite } from "../proposals";
import { connectionName } from "./settings";

export interface WindowsScriptInput {
  user: string;
  /** Absent (or an offline placeholder): no credentials are stored, Windows asks at the first connection. */
  password?: string;
  hostname: string;
}

/**
 * Routes that pull all IPv6 into the tunnel. Add-VpnConnection without -SplitTunneling already
 * sends all traffic through the VPN (Microsoft: "If you do not specify this parameter, split
 * tunneling is disabled"); these two /1 routes are more specific than any ::/0 a local router
 * advertises, so IPv6 stays in the tunnel whatever metrics Windows gives the interfaces.
 */
const IPV6_ROUTES = ["::/1", "8000::/1"] as const;

function win(a: Algo | undefined, field: "windows" | "windowsEsp" | "windowsPfs", what: string): string {
  const v = a?.[field];
  if (v === undefined) throw new Error(`the proposal table has no Windows ${field} name for ${a?.swan ?? what}`);
  return v;
}

/** Set-VpnConnectionIPsecConfiguration arguments for the Windows client suite, in cmdlet order. */
function windowsIpsecParameters(s: ClientSuite = CLIENT_SUITES.windows): Array<[string, string]> {
  const espEncr: Algo = s.esp.encr;
  const espAead = espEncr.aead === true;
  return [
    // GCM is a combined mode: Windows wants the same GCM constant as "authentication" transform.
    ["AuthenticationTransformConstants", espAead ? win(s.esp.encr, "windows", "ESP cipher") : win(s.esp.integ, "windowsEsp", "ESP integrity")],
    ["CipherTransformConstants", win(s.esp.encr, "windows", "ESP cipher")],
    ["EncryptionMethod", win(s.ike.encr, "windows", "IKE cipher")],
    // Windows derives the IKE PRF from this hash.
    ["IntegrityCheckMethod", win(s.ike.integ, "windows", "IKE integrity")],
    ["DHGroup", win(s.ike.dh, "windows", "IKE DH group")],
    ["PfsGroup", s.esp.pfs ? win(s.esp.pfs, "windowsPfs", "PFS group") : "None"],
  ];
}

// RasSetCredentials stores the user name and password for the connection in the user's
// credential store, as the "Remember my credentials" box would after a first dial-in.
const RAS_CREDENTIALS_TYPE = `using System;
using System.Runtime.InteropServices;
namespace LinodeIkev2Vpn {
  public static class Ras {
    [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
    public struct RASCREDENTIALS {
      public int dwSize;
      public int dwMask;
      [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 257)] public string szUserName;
      [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 257)] public string szPassword;
      [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 16)] public string szDomain;
    }
    [DllImport("rasapi32.dll", CharSet = CharSet.Unicode)]
    static extern int RasSetCredentials(string phonebook, string entry, ref RASCREDENTIALS credentials, bool clear);
    public static int Store(string entry, string user, string password) {
      RASCREDENTIALS c = new RASCREDENTIALS();
      c.dwSize = Marshal.SizeOf(typeof(RASCREDENTIALS));
      c.dwMask = 0x1 | 0x2; // RASCM_UserName | RASCM_Password
      c.szUserName = user;
      c.szPassword = password;
      c.szDomain = "";
      return RasSetCredentials(null, entry, ref c, false);
    }
  }
}`;

export function renderWindowsScript(input: WindowsScriptInput): string {
  const ipsec = windowsIpsecParameters()
    .map(([k, v]) => `-${k} ${v}`)
    .join(" ");
  const password = storablePassword(input.password);
  const header =
    password === undefined
      ? [
          "# IKEv2 VPN connection. Generated file: do not edit.",
          "# No password in this file (offline render): Windows asks for the user name and password",
          "# at the first connection and remembers them. The deployed stack's profiles store them.",
          "# Run as the user who will connect (no administrator rights needed):",
          "#   powershell -NoProfile -ExecutionPolicy Bypass -File <this file>",
          "# Running it again replaces the connection.",
        ]
      : [
          "# IKEv2 VPN connection with stored credentials. Generated file: do not edit.",
          "# Run as the user who will connect (no administrator rights needed):",
          "#   powershell -NoProfile -ExecutionPolicy Bypass -File <this file>",
          "# Running it again replaces the connection. It never prints the password.",
        ];
  const credentials =
    password === undefined
      ? [
          // Nothing is stored: a stored guess would fail every login instead of prompting.
          "Write-Output \"VPN connection '$Name' is ready: connect from the network menu; Windows asks for the user name ($User) and password the first time.\"",
        ]
      : [
          "# Credentials: stored for this connection, so connecting needs no typing.",
          "if (-not ('LinodeIkev2Vpn.Ras' -as [type])) {",
          "  Add-Type -TypeDefinition @'",
          ...RAS_CREDENTIALS_TYPE.split("\n"),
          "'@",
          "}",
          "$Result = [LinodeIkev2Vpn.Ras]::Store($Name, $User, $Password)",
          "Remove-Variable Password",
          "if ($Result -ne 0) {",
          '  Write-Warning "Could not store the credentials (RAS error $Result): Windows asks for them on the first connection."',
          "}",
          "Write-Output \"VPN connection '$Name' is ready: connect from the network menu (or: rasdial.exe '$Name').\"",
        ];
  const lines = [
    // No value appears in comments or double-quoted strings: only in the psQuote'd literals below.
    ...header,
    "$ErrorActionPreference = 'Stop'",
    `$Name = ${psQuote(connectionName(input.hostname))}`,
    `$Server = ${psQuote(input.hostname)}`,
    `$User = ${psQuote(input.user)}`,
    ...(password === undefined ? [] : [`$Password = ${psQuote(password)}`]),
    "",
    "# Idempotent: drop an earlier version of this connection first.",
    "if (Get-VpnConnection -Name $Name -ErrorAction SilentlyContinue) {",
    "  rasdial.exe $Name /disconnect | Out-Null",
    "  Remove-VpnConnection -Name $Name -Force",
    "}",
    "",
    "# The server address must be the name in the server certificate (else error 13801).",
    "Add-VpnConnection -Name $Name -ServerAddress $Server -TunnelType Ikev2 -AuthenticationMethod Eap -EncryptionLevel Required -RememberCredential -Force",
    "# Stock Windows proposes only modp1024/SHA1 suites (error 13868 against a modern server): pin ours.",
    `Set-VpnConnectionIPsecConfiguration -ConnectionName $Name ${ipsec} -Force`,
    "",
    "# Full tunnel (no -SplitTunneling above); these routes keep IPv6 in it even if a local router's route wins on metric.",
    `foreach ($Prefix in @(${IPV6_ROUTES.map(psQuote).join(", ")})) {`,
    "  Add-VpnConnectionRoute -ConnectionName $Name -DestinationPrefix $Prefix",
    "}",
    "",
    "# DNS: give the VPN interface the lowest metric so Windows asks the tunnel's DNS servers first.",
    "$Pbk = Join-Path $env:APPDATA 'Microsoft\\Network\\Connections\\Pbk\\rasphone.pbk'",
    "$Encoding = [System.Text.Encoding]::Default",
    "$InEntry = $false",
    "$Lines = foreach ($Line in [System.IO.File]::ReadAllLines($Pbk, $Encoding)) {",
    "  if ($Line -match '^\\[(.*)\\]$') { $InEntry = ($Matches[1] -eq $Name) }",
    "  if ($InEntry -and $Line -match '^(IpInterfaceMetric|Ipv6InterfaceMetric)=') { $Matches[1] + '=1' } else { $Line }",
    "}",
    "[System.IO.File]::WriteAllLines($Pbk, [string[]]$Lines, $Encoding)",
    "",
    ...credentials,
    "",
  ];
  return lines.join("\r\n");
}
