// Entry point: `pulumi up` runs this. Everything happens in program.ts.
import { program } from "./program";

const outputs = program();

export const regions = outputs.regions;
export const certificateNotAfter = outputs.certificateNotAfter;
export const passwords = outputs.passwords;
export const profiles = outputs.profiles;
