/** `kudf check`: static checks of TICKscripts (syntax, pipeline, UDF calls) against function declarations. */
export { checkSource, findUdfCalls, type CheckResult, type Problem } from './checker.js';
export { checkFiles, type FilesReport } from './files.js';
export { durationNs, type UdfCall, type OptionCall, type Arg, type ArgType } from './calls.js';
export { lex, TickSyntaxError, type LexToken, type LexKind } from './lexer.js';
export { parse, type Expr, type Statement } from './parser.js';
export type { Stage } from './pipeline.js';
export { KAPACITOR_NODES, type NodeModel } from './kapacitor-nodes.js';
