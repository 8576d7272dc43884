export { Tr064Session, type Tr064SessionOptions, type Tr064Router } from './tr064-session.js';
export { DigestAuth, parseDigestChallenge, type DigestChallenge } from './digest.js';
