// User names become folder and file names (profiles/<user>/<user>.ps1 ...) that people
// open on Windows too. Names Windows cannot hold as a file or folder must be refused
// when the config is read, with one line naming the user, not when someone unpacks the
// profiles on a PC.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, USER_NAME_RE, validateConfig } from "../../config/validate";
import { windowsNameProblem } from "../../model/fileNames";
import { profileTree, renderProfiles } from "../../model/profiles";
import { STACK, testConfig } from "./profiles-fixtures";
import { withKeys } from "./fixtures";

function problems(users: unknown[]): string[] {
  try {
    validateConfig(withKeys({ "vpn:users": users }, ["vpn:passwords"]));
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return e.problems;
  }
  return [];
}

// Device names in several cases, with one or more "extensions" (Windows maps NUL.txt and
// NUL.tar.gz to NUL as well), and names with a trailing dot (Windows strips it).
const REFUSED = [
  "con",
  "CON",
  "Con",
  "prn",
  "PRN",
  "aux",
  "AuX",
  "nul",
  "NUL",
  "com0",
  "com1",
  "COM5",
  "cOm9",
  "lpt0",
  "lpt1",
  "LPT9",
  "LpT3",
  "con.txt",
  "NUL.tar.gz",
  "com1.example.com",
  "lpt9.",
  "aux.ps1",
  "prn.mobileconfig",
  "alice.",
  "a..",
  "bob@example.com.",
];

// Close to a device name but not one: must stay allowed.
const ALLOWED = ["console", "con1", "com10", "lpt10", "comx", "nul-user", "aux_", "prn@example.com", "a.con", "alice.b", "conn.txt", "lpt", "com", "c0n"];

describe("user names Windows cannot use as a file or folder name", () => {
  for (const name of REFUSED) {
    it(`refuses ${JSON.stringify(name)} with one line naming the user`, () => {
      assert.match(name, USER_NAME_RE, "the syntax rule alone lets it through: this check is what refuses it");
      const got = problems(["alice", name]);
      assert.equal(got.length, 1, got.join("\n"));
      assert.ok(got[0].startsWith("vpn:users[1]: "), got[0]);
      assert.ok(got[0].includes(JSON.stringify(name)), `names the user: ${got[0]}`);
      assert.match(got[0], /Windows/);
      assert.ok(!got[0].includes("\n"), "one line");
      assert.ok(windowsNameProblem(name), name);
    });
  }

  it("the object form names its .name field", () => {
    const got = problems([{ name: "Lpt1.txt", staticIpv4: "10.47.83.60" }]);
    assert.deepEqual(got.length, 1);
    assert.match(got[0], /^vpn:users\[0\]\.name: user name "Lpt1\.txt" is a reserved device name on Windows/);
  });

  it("says what is wrong: a device name, or the trailing dot", () => {
    assert.match(problems(["com1.txt"])[0], /reserved device name on Windows .*CON, PRN, AUX, NUL, COM0-COM9, LPT0-LPT9/);
    assert.match(problems(["alice."])[0], /ends with a dot/);
  });

  it("every refused name is reported, one line each", () => {
    const got = problems(["con", "alice", "nul.txt", "bob."]);
    assert.deepEqual(
      got.map((p) => p.split(": ")[0]),
      ["vpn:users[0]", "vpn:users[2]", "vpn:users[3]"],
    );
  });

  for (const name of ALLOWED) {
    it(`allows ${JSON.stringify(name)}`, () => {
      assert.deepEqual(problems([name]), []);
      assert.equal(windowsNameProblem(name), undefined);
    });
  }

  it("the profile tree refuses such a name even when validation was bypassed", () => {
    const config = testConfig({ users: [{ name: "nul" }] });
    const profiles = renderProfiles({ stack: STACK, config, passwords: { nul: "pw-123456789" } });
    assert.throws(() => profileTree(profiles), /user name unusable in a file path: "nul".*Windows/);
  });
});
