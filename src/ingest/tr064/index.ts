export { Tr064Session, type Tr064SessionOptions, type Tr064Router } from './tr064-session.js';
export { Tr064Error, type Tr064ErrorCode } from './errors.js';
export { DigestAuth, parseDigestChallenge, type DigestChallenge } from './digest.js';
