// Each mode of the fault proxy against a small echo server (raw protocol).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import kit from './kit.mjs';
import { echoServer, rawClient, sleep, until } from './helpers.mjs';

const { startProxy } = kit;
const T = { timeout: 20_000 };

describe('startProxy against an echo server', () => {
  let echo;
  const proxies = [];
  const clients = [];
  const proxy = async (options = {}) => {
    const p = await startProxy({ target: { host: '127.0.0.1', port: echo.port }, protocol: 'raw', ...options });
    proxies.push(p);
    return p;
  };
  const client = (p) => {
    const c = rawClient(p.port);
    clients.push(c);
    return c;
  };
  before(async () => {
    echo = await echoServer();
  });
  after(async () => {
    for (const c of clients) c.socket.destroy();
    for (const p of proxies) await p.close();
    await echo.close();
  });

  it('forward relays both ways and counts connections and bytes; url() rewrites only host and port', T, async () => {
    const p = await proxy();
    const c = client(p);
    c.socket.write('hello');
    await until(() => c.data === 'hello', 5000, 'the echo');
    assert.equal(p.currentMode, 'forward');
    assert.deepEqual(
      { accepted: p.stats.accepted, open: p.stats.open, clientBytes: p.stats.clientBytes, serverBytes: p.stats.serverBytes },
      { accepted: 1, open: 1, clientBytes: 5, serverBytes: 5 },
    );
    const [connection] = p.connections();
    assert.deepEqual([connection.id, connection.kind, connection.clientBytes, connection.serverBytes], [1, 'relayed', 5, 5]);
    assert.equal(
      p.url('postgres://u:secret@db.example:5432/app?application_name=x'),
      `postgres://u:secret@127.0.0.1:${p.port}/app?application_name=x`,
    );
  });

  it('stall relays nothing either way (new connections included) until the mode changes, then everything in order', T, async () => {
    const p = await proxy();
    const c = client(p);
    c.socket.write('a');
    await until(() => c.data === 'a');
    p.mode('stall');
    c.socket.write('b');
    const fresh = client(p);
    await fresh.connected;
    fresh.socket.write('x');
    await sleep(300);
    assert.equal(c.data, 'a', 'nothing came back during the stall');
    assert.equal(fresh.data, '');
    assert.equal(echo.received.at(-1).bytes, 0, 'the new connection reached the server with nothing');
    assert.equal(c.closed || fresh.closed, false, 'a stall cuts nothing');
    p.mode('forward');
    c.socket.write('c');
    await until(() => c.data === 'abc' && fresh.data === 'x', 5000, 'the release');
  });

  it('a close during a stall is held back until the stall ends', T, async () => {
    const p = await proxy();
    const c = client(p);
    c.socket.write('a');
    await until(() => c.data === 'a');
    p.mode('stall');
    const serverSide = echo.received.at(-1);
    c.socket.end();
    await sleep(200);
    assert.equal(serverSide.closed, false, 'the server did not see the close');
    p.mode('forward');
    await until(() => serverSide.closed, 5000, 'the close after the stall');
  });

  it('accept-and-close cuts existing connections and closes new ones at once (FIN, nothing relayed)', T, async () => {
    const p = await proxy();
    const old = client(p);
    old.socket.write('a');
    await until(() => old.data === 'a');
    p.mode('accept-and-close');
    await until(() => old.closed, 5000, 'the cut');
    const fresh = client(p);
    fresh.socket.write('hello?');
    await until(() => fresh.closed, 5000, 'the close at accept');
    assert.equal(fresh.ended, true, 'a FIN');
    assert.equal(fresh.error, undefined);
    assert.equal(fresh.data, '');
    assert.equal(p.stats.closedAtAccept, 1);
    assert.equal(p.stats.cuts, 1);
    assert.equal(p.connections().at(-1).kind, 'closed-at-accept');
  });

  it('refuse resets new connections: the client sees ECONNRESET', T, async () => {
    const p = await proxy({ mode: 'refuse' });
    const fresh = client(p);
    await until(() => fresh.closed, 5000, 'the reset');
    assert.equal(fresh.error?.code, 'ECONNRESET');
    assert.equal(p.stats.closedAtAccept, 1);
  });

  it('silent accepts and never answers, even after the mode changes; the existing connections are stalled', T, async () => {
    const p = await proxy();
    const old = client(p);
    old.socket.write('a');
    await until(() => old.data === 'a');
    const before = echo.received.length;
    p.mode('silent');
    const mute = client(p);
    await mute.connected;
    mute.socket.write('anyone?');
    old.socket.write('b');
    await sleep(300);
    assert.equal(mute.data, '');
    assert.equal(mute.closed, false, 'accepted and kept open');
    assert.equal(old.data, 'a', 'the old connection gets nothing either');
    assert.equal(echo.received.length, before, 'nothing reached the server');
    p.mode('forward');
    await until(() => old.data === 'ab', 5000, 'the old connection after the mode change');
    mute.socket.write('still?');
    await sleep(200);
    assert.equal(mute.data, '', 'a black hole stays one');
    assert.equal(p.stats.blackHoled, 1);
    assert.equal(p.stats.clientBytes, 1 + 7 + 1 + 6);
  });

  it('drop-replies drops the chosen server chunk and cuts both sides: the server got the request, the client no reply', T, async () => {
    const p = await proxy();
    p.mode('drop-replies', { when: (_connection, chunk) => chunk.toString().includes('COMMIT') });
    const c = client(p);
    c.socket.write('select');
    await until(() => c.data === 'select');
    c.socket.write('COMMIT');
    await until(() => c.closed, 5000, 'the cut');
    const serverSide = echo.received.at(-1);
    assert.equal(serverSide.bytes, 12, 'the server received the request');
    assert.equal(c.data, 'select', 'its reply was dropped');
    await until(() => serverSide.closed, 5000, 'the server side cut too');
    assert.equal(p.stats.droppedChunks, 1);
    assert.equal(p.stats.cuts, 1);
  });

  it('drop-replies with probability 1 drops the first reply; a seeded random source decides reproducibly', T, async () => {
    const always = await proxy();
    always.mode('drop-replies', { probability: 1 });
    const c = client(always);
    c.socket.write('x');
    await until(() => c.closed, 5000, 'the cut');
    assert.equal(c.data, '');
    assert.equal(always.stats.droppedChunks, 1);

    const drops = [];
    for (let run = 0; run < 2; run++) {
      const p = await proxy({ random: kit.random(7) });
      p.mode('drop-replies', { probability: 0.5 });
      let dropped = 0;
      for (let i = 0; i < 6; i++) {
        const d = client(p);
        d.socket.write('y');
        await until(() => d.data === 'y' || d.closed, 5000, 'a reply or a cut');
        if (d.data === '') dropped++;
      }
      drops.push(dropped);
      assert.equal(p.stats.droppedChunks, dropped);
    }
    assert.equal(drops[0], drops[1], 'the same seed drops the same chunks');
    assert.ok(drops[0] > 0 && drops[0] < 6, `a coin, not a constant: ${drops[0]} of 6 dropped`);
  });

  it('onServerChunk decides chunk by chunk in every relaying mode', T, async () => {
    const seen = [];
    const p = await proxy({
      onServerChunk: (connection, chunk) => {
        seen.push([connection.id, chunk.toString()]);
        return chunk.toString() === 'cut' ? 'drop-and-cut' : 'forward';
      },
    });
    const c = client(p);
    c.socket.write('keep');
    await until(() => c.data === 'keep');
    c.socket.write('cut');
    await until(() => c.closed, 5000, 'the cut');
    assert.deepEqual(seen, [
      [1, 'keep'],
      [1, 'cut'],
    ]);
    p.onServerChunk(undefined);
    const d = client(p);
    d.socket.write('cut');
    await until(() => d.data === 'cut', 5000, 'relayed once the hook is gone');
  });

  it('cutAll cuts every open connection and answers how many; new connections work after it', T, async () => {
    const p = await proxy();
    const a = client(p);
    const b = client(p);
    a.socket.write('1');
    b.socket.write('2');
    await until(() => a.data === '1' && b.data === '2');
    assert.equal(p.cutAll(), 2);
    await until(() => a.closed && b.closed, 5000, 'the cuts');
    await until(() => p.stats.open === 0, 5000, 'no open connection');
    const c = client(p);
    c.socket.write('3');
    await until(() => c.data === '3');
    assert.equal(p.stats.cuts, 2);
  });

  it('listens on and forwards to loopback addresses only', T, async () => {
    await assert.rejects(
      startProxy({ target: { host: '127.0.0.1', port: echo.port }, listenHost: '0.0.0.0' }),
      /loopback addresses only, not 0\.0\.0\.0/,
    );
    await assert.rejects(startProxy({ target: { host: '10.0.0.1', port: 5432 } }), /loopback addresses only, not 10\.0\.0\.1/);
  });

  it('close() cuts everything and stops listening', T, async () => {
    const p = await startProxy({ target: { host: '127.0.0.1', port: echo.port }, protocol: 'raw' });
    const c = rawClient(p.port);
    c.socket.write('z');
    await until(() => c.data === 'z');
    await p.close();
    await until(() => c.closed, 5000, 'the cut at close');
    const late = rawClient(p.port);
    await until(() => late.closed, 5000, 'the refusal');
    assert.equal(late.error?.code, 'ECONNREFUSED');
  });
});
