export type { LinePoint } from '../line-protocol/index.js';
