// The one remote script `npm run status` runs on a region's server over SSH.
// Read-only: it reads files and /proc, asks charon over vici (version, stats,
// get-pools, list-certs, list-sas: queries only), and asks apt for a simulated
// upgrade without taking its lock. It prints nothing secret: no key file, no
// swanctl.conf (EAP secrets); the certificate it reads is the public one.
//
// Output: one line per fact, `@@<key> <value>`, values without newlines (files
// base64, vici packets hex). parseStatusOutput() in ./parse.ts reads it.
import { AAA_PATHS } from "../server/aaa";
import { PATHS } from "../server/files";

/** The output format version; parse.ts refuses anything else. */
export const STATUS_FORMAT = "1";

/** charon's default vici socket (strongswan.conf charon.plugins.vici.socket; the rendered fragment keeps it). */
const VICI_SOCKET = "/var/run/charon.vici";

const UNATTENDED_UPGRADES_LOG = "/var/log/unattended-upgrades/unattended-upgrades.log";

/**
 * A minimal vici client in perl (perl-base is Essential on Debian and Ubuntu, so
 * it is on every image; swanctl --raw is not used, see ./vici.ts). Not strongSwan's
 * own clients: the Python `vici` package (PyPI) and the Perl Vici::Session module
 * (strongSwan's source tree) are not part of the image, and status is read-only: it
 * installs nothing on the server. This client only frames requests and prints the raw
 * answers; decoding is in ./vici.ts on the operator's side. It registers
 * for the streamed events first, as the protocol requires, and prints each
 * received packet (type, name, message) in hex. strongSwan
 * src/libcharon/plugins/vici/README.md: 32-bit length, type, 8-bit name length.
 */
function viciClientPerl(socket: string): string {
  return String.raw`use strict;
use warnings;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
$| = 1;
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => '${socket}');
unless ($s) { print "\@\@vici-error cannot connect to ${socket}: $!\n"; exit 0; }
$SIG{ALRM} = sub { print "\@\@vici-error no answer from charon within 20 s\n"; exit 0; };
alarm 20;
sub rd {
  my ($n) = @_;
  my $b = '';
  while (length($b) < $n) {
    my $r = sysread($s, $b, $n - length($b), length($b));
    die "charon closed the connection\n" unless $r;
  }
  return $b;
}
sub send_packet {
  my ($type, $name, $msg) = @_;
  my $d = pack('C', $type) . (defined $name ? pack('C/a*', $name) : '') . (defined $msg ? $msg : '');
  my $w = pack('N/a*', $d);
  die "write to charon failed\n" unless syswrite($s, $w) == length($w);
}
sub recv_packet { return rd(unpack('N', rd(4))); }
sub kv { my ($k, $v) = @_; return pack('C C/a* n/a*', 3, $k, $v); }
sub request {
  my ($label, $cmd, $msg, $event) = @_;
  if ($event) {
    send_packet(3, $event);
    die "charon refused the $event event\n" unless unpack('C', recv_packet()) == 5;
  }
  send_packet(0, $cmd, $msg);
  for (;;) {
    my $p = recv_packet();
    my $t = unpack('C', $p);
    if ($t == 7) { print "\@\@vici $label ", unpack('H*', $p), "\n"; next; }
    if ($t == 1) { print "\@\@vici $label ", unpack('H*', $p), "\n"; last; }
    die "charon does not know the $cmd command\n" if $t == 2;
    die "unexpected vici packet type $t for $cmd\n";
  }
  if ($event) { send_packet(4, $event); recv_packet(); }
}
eval {
  request('version', 'version');
  request('stats', 'stats');
  request('pools', 'get-pools', kv('leases', 'yes'));
  request('certs', 'list-certs', kv('type', 'X509') . kv('flag', 'NONE'), 'list-cert');
  request('sas', 'list-sas', kv('noblock', 'yes'), 'list-sa');
  print "\@\@vici-done 1\n";
  1;
} or do { my $e = $@; $e =~ s/\s+/ /g; print "\@\@vici-error $e\n"; };
`;
}

export interface StatusScriptOptions {
  /** Default VICI_SOCKET. */
  viciSocket?: string;
  /** Default PATHS.serverCert (tests point it at their charon's copy). */
  certFile?: string;
  /** Also ask the server's usage (npm run status -- --usage); without it the script is what it always was. */
  usage?: boolean;
  /** Default AAA_PATHS.script (tests point it at their own). */
  aaaScript?: string;
}

/** The script text (sent as the SSH command, run by root's login shell). */
export function renderStatusScript(opts: StatusScriptOptions = {}): string {
  const cert = opts.certFile ?? PATHS.serverCert;
  const log = UNATTENDED_UPGRADES_LOG;
  return [
    "set -u",
    "export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    'say() { printf \'@@%s %s\\n\' "$1" "$2"; }',
    `say format ${STATUS_FORMAT}`,
    'say now "$(date -u +%s)"',
    'say tz "$(date +%z)"',
    'say uptime "$(cut -d" " -f1 /proc/uptime)"',
    'say service "$(systemctl is-active strongswan 2>/dev/null | head -n1)"',
    // The certificate file apply loaded (public); charon's loaded copy comes from list-certs.
    `if [ -r ${cert} ]; then say cert-file "$(base64 -w0 < ${cert})"; else say cert-file -; fi`,
    `perl - <<'VICI_CLIENT'`,
    viciClientPerl(opts.viciSocket ?? VICI_SOCKET).trimEnd(),
    "VICI_CLIENT",
    // Pending upgrades as apt sees them with its current lists (a simulation: no lock, no change).
    "if command -v apt-get >/dev/null 2>&1; then",
    "  if sim=$(timeout 60 apt-get -s -o Debug::NoLocking=1 dist-upgrade 2>/dev/null); then",
    "    say apt ok",
    '    printf \'%s\\n\' "$sim" | awk \'/^Inst /{ print "@@inst " $2 " " (($0 ~ /-[Ss]ecurity/) ? "security" : "other") }\'',
    "  else say apt failed; fi",
    "  say apt-lists \"$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -printf '%T@\\n' 2>/dev/null | sort -n | tail -n1 | cut -d. -f1)\"",
    "else say apt absent; fi",
    "if [ -e /var/run/reboot-required ]; then say reboot-required yes; else say reboot-required no; fi",
    "if [ -r /var/run/reboot-required.pkgs ]; then say reboot-pkgs \"$(sort -u /var/run/reboot-required.pkgs | tr '\\n' ' ')\"; fi",
    'say kernel-running "$(uname -r)"',
    'say os "$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"',
    "say kernels-installed \"$(ls /boot 2>/dev/null | sed -n 's/^vmlinuz-//p' | sort -V | tr '\\n' ' ')\"",
    "say uu-installed \"$(dpkg-query -W -f '${Status}' unattended-upgrades 2>/dev/null)\"",
    // The newest run's first and last lines (timestamps in the server's local time, `tz` above).
    `uu=$(cat ${log}.1 ${log} 2>/dev/null | awk '/Starting unattended upgrades script/{ run = $0; last = "" } run != "" { last = $0 } END { if (run != "") { print run; print last } }')`,
    'if [ -n "$uu" ]; then say uu-start "$(printf \'%s\\n\' "$uu" | head -n1)"; say uu-last "$(printf \'%s\\n\' "$uu" | tail -n1)"; fi',
    ...(opts.usage ? usageScriptLines(opts.aaaScript ?? AAA_PATHS.script) : []),
    "say end 1",
    "",
  ].join("\n");
}

/**
 * Per-user usage from the lifecycle's own script (model/server/aaa.ts): read-only
 * (SQLite SELECTs and swanctl --list-sas), nothing secret. Absent on a server of a
 * stack without the lifecycle: "-". Its JSON goes base64 on one line.
 */
export function usageScriptLines(script: string): string[] {
  return [
    `if [ -x ${script} ]; then`,
    `  if u=$(timeout 60 ${script} usage 2>/dev/null); then say aaa-usage "$(printf '%s' "$u" | base64 -w0)"; else say aaa-usage "failed vpn-aaa usage exited $?"; fi`,
    "else say aaa-usage -; fi",
  ];
}
