// The PostgreSQL message splitter: whole messages out of any chunking, and the cycle a
// ReadyForQuery ends (tags, statements, errors), which is what makes a commit's reply recognisable.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import kit from './kit.mjs';

const { PgConversation, isCommitReply, random } = kit;

const cstr = (s) => Buffer.from(`${s}\0`);
function typed(type, ...parts) {
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(5);
  header.write(type, 0);
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}
function untyped(code, ...parts) {
  const body = Buffer.concat([int32(code), ...parts]);
  return Buffer.concat([int32(body.length + 4), body]);
}
function int32(n) {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
const startup = untyped(196608, cstr('user'), cstr('postgres'), Buffer.from([0]));
const serverHello = Buffer.concat([
  typed('R', int32(0)),
  typed('S', cstr('server_version'), cstr('15.0')),
  typed('K', int32(42), int32(7)),
  typed('Z', Buffer.from('I')),
]);
const error = (code) =>
  typed('E', Buffer.from('S'), cstr('ERROR'), Buffer.from('C'), cstr(code), Buffer.from('M'), cstr('boom'), Buffer.from([0]));

/** Feeds `bytes` in chunks of random sizes (1..max) and collects the messages. */
function feed(conversation, bytes, seed, max = 7) {
  const rnd = random(seed);
  const messages = [];
  for (let i = 0; i < bytes.length;) {
    const size = 1 + Math.floor(rnd() * max);
    messages.push(...conversation.fromServer(bytes.subarray(i, i + size)));
    i += size;
  }
  return messages;
}

describe('PgConversation', () => {
  it('splits server messages out of any chunking and ties a ReadyForQuery to the simple query it ends', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const conversation = new PgConversation();
      conversation.fromClient(startup.subarray(0, 3));
      conversation.fromClient(startup.subarray(3));
      const hello = feed(conversation, serverHello, seed);
      assert.deepEqual(
        hello.map((m) => m.type),
        ['R', 'S', 'K', 'Z'],
      );
      assert.deepEqual(hello[3].queries, [], 'the first ReadyForQuery ends the startup, not a query');
      assert.equal(conversation.ready, true);

      conversation.fromClient(typed('Q', cstr('insert into t values (1)')));
      const reply = feed(conversation, Buffer.concat([typed('C', cstr('INSERT 0 1')), typed('Z', Buffer.from('I'))]), seed);
      assert.deepEqual(
        reply.map((m) => [m.type, m.tag ?? m.status]),
        [
          ['C', 'INSERT 0 1'],
          ['Z', 'I'],
        ],
      );
      assert.deepEqual(reply[1].tags, ['INSERT 0 1']);
      assert.deepEqual(reply[1].queries, ['insert into t values (1)']);
      assert.equal(reply[1].failed, false);
      assert.equal(isCommitReply(reply), true);
    }
  });

  it('answers only the messages that end in a chunk: a ReadyForQuery split from its CommandComplete still carries the tag', () => {
    const conversation = new PgConversation();
    conversation.fromClient(startup);
    conversation.fromServer(serverHello);
    conversation.fromClient(typed('Q', cstr('delete from t')));
    const z = typed('Z', Buffer.from('I'));
    const first = conversation.fromServer(Buffer.concat([typed('C', cstr('DELETE 3')), z.subarray(0, 2)]));
    assert.deepEqual(
      first.map((m) => m.type),
      ['C'],
    );
    assert.equal(isCommitReply(first), false, 'no ReadyForQuery yet');
    const second = conversation.fromServer(z.subarray(2));
    assert.deepEqual(second[0].tags, ['DELETE 3']);
    assert.equal(isCommitReply(second), true);
  });

  it('follows the extended protocol: Bind names a prepared statement, Sync ends a cycle, an error marks it failed', () => {
    const conversation = new PgConversation();
    conversation.fromClient(startup);
    conversation.fromServer(serverHello);
    const bind = typed('B', cstr(''), cstr('s1'), Buffer.alloc(6));
    conversation.fromClient(
      Buffer.concat([
        typed('P', cstr('s1'), cstr('with x as (insert into events values ($1)) select 1'), Buffer.alloc(2)),
        bind,
        typed('E', cstr(''), int32(0)),
        typed('S'),
        bind,
        typed('E', cstr(''), int32(0)),
        typed('S'),
      ]),
    );
    const ok = conversation.fromServer(Buffer.concat([typed('1'), typed('2'), typed('C', cstr('SELECT 1')), typed('Z', Buffer.from('I'))]));
    const failed = conversation.fromServer(Buffer.concat([typed('2'), error('23505'), typed('Z', Buffer.from('I'))]));
    assert.deepEqual(ok.at(-1).queries, ['with x as (insert into events values ($1)) select 1']);
    assert.equal(isCommitReply(ok), false, 'a SELECT tag says nothing of the insert inside');
    assert.equal(isCommitReply(ok, /insert into events/), true, 'the statement text does');
    assert.equal(failed[1].code, '23505');
    assert.equal(failed[1].message, 'boom');
    assert.equal(failed.at(-1).failed, true);
    assert.equal(isCommitReply(failed, /insert into events/), false, 'a failed cycle committed nothing');
  });

  it('tells a COMMIT from a statement inside a transaction and from a ROLLBACK', () => {
    const conversation = new PgConversation();
    conversation.fromClient(startup);
    conversation.fromServer(serverHello);
    conversation.fromClient(
      Buffer.concat([typed('Q', cstr('begin')), typed('Q', cstr('insert into t values (2)')), typed('Q', cstr('commit'))]),
    );
    const begin = conversation.fromServer(Buffer.concat([typed('C', cstr('BEGIN')), typed('Z', Buffer.from('T'))]));
    const insert = conversation.fromServer(Buffer.concat([typed('C', cstr('INSERT 0 1')), typed('Z', Buffer.from('T'))]));
    const commit = conversation.fromServer(Buffer.concat([typed('C', cstr('COMMIT')), typed('Z', Buffer.from('I'))]));
    assert.equal(isCommitReply(begin), false);
    assert.equal(isCommitReply(insert), false, 'inside a transaction nothing is committed yet');
    assert.equal(isCommitReply(commit), true);
    assert.deepEqual(commit[1].queries, ['commit']);
    conversation.fromClient(typed('Q', cstr('commit')));
    assert.equal(
      isCommitReply(conversation.fromServer(Buffer.concat([typed('C', cstr('ROLLBACK')), typed('Z', Buffer.from('I'))]))),
      false,
    );
  });

  it('reads the startup after a refused SSL request, and nothing after an accepted one', () => {
    const refused = new PgConversation();
    refused.fromClient(untyped(80877103));
    assert.deepEqual(
      refused.fromServer(Buffer.from('N')).map((m) => m.type),
      ['N'],
    );
    refused.fromClient(startup);
    assert.deepEqual(
      refused.fromServer(serverHello).map((m) => m.type),
      ['R', 'S', 'K', 'Z'],
    );
    assert.equal(refused.ready, true);

    const encrypted = new PgConversation();
    encrypted.fromClient(untyped(80877103));
    encrypted.fromServer(Buffer.from('S'));
    assert.deepEqual(encrypted.fromServer(serverHello), [], 'TLS bytes are opaque');
    assert.equal(encrypted.ready, false);
  });
});
