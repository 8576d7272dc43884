/** The `http` transport: a router's status web page behind basic, digest or form login. */
export { HttpSession, type HttpSessionOptions, type HttpRouter } from './http-session.js';
export { SessionCookies } from './cookies.js';
