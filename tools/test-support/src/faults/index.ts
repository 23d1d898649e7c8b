// The fault-injection kit: network faults between a client and PostgreSQL, backend terminations,
// server stops, and the recording of what went unhandled in a child process.
export { PgConversation, isCommitReply, type PgMessage } from './pg-wire.js';
