/** `kudf check`: static checks of the UDF calls in TICKscripts against function declarations. */
export { checkSource, type CheckResult, type Problem } from './checker.js';
export { checkFiles, type FilesReport } from './files.js';
export { scan, ScanError, type Token, type TokenKind } from './scanner.js';
export { findUdfCalls, durationNs, type UdfCall, type OptionCall, type Arg, type ArgType } from './calls.js';
