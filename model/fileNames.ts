// Names that become file and folder names (a user's profile folder and files) must work
// on every platform people open them on, Windows included. The rules are Microsoft's,
// "Naming Files, Paths, and Namespaces"
// (https://learn.microsoft.com/en-us/windows/win32/fileio/naming-a-file):
// - "Do not use the following reserved names for the name of a file: CON, PRN, AUX, NUL,
//   COM0-COM9, COM¹ COM² COM³, LPT0-LPT9, LPT¹ LPT² LPT³. Also avoid these names followed
//   immediately by an extension; for example, NUL.txt and NUL.tar.gz are both equivalent
//   to NUL." Windows compares them in any case.
// - "Do not end a file or directory name with a space or a period." Windows strips it, so
//   the file would get another name than the one the profile and the README give.
// Characters (< > : " / \ | ? * and control characters) are the name rules' job; the
// user-name rule allows none of them.

/** The part before the first dot is what Windows compares: "nul.tar.gz" is NUL. */
const RESERVED_RE = /^(?:con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3])(?:\..*)?$/i;

const WINDOWS_RESERVED_NAMES = "CON, PRN, AUX, NUL, COM0-COM9, LPT0-LPT9";

/** Why Windows cannot use `name` as a file or folder name, or undefined when it can. One line, without the name. */
export function windowsNameProblem(name: string): string | undefined {
  if (RESERVED_RE.test(name)) {
    return `is a reserved device name on Windows (${WINDOWS_RESERVED_NAMES}, in any case, also with an extension such as con.txt), which no file or folder may be called there`;
  }
  if (/[. ]$/.test(name)) return "ends with a dot or space, which Windows strips from file and folder names";
  return undefined;
}
