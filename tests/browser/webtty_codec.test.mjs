// The browser's WebTTY frame codec (web/src/common/webtty.js) against docs/protocol.md: the
// byte layouts it sends, and the checks it makes on what it receives. No browser needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FrameError, FrameType, decodeFrame, encodeFrame, encodeOpen, encodeResize, encodeSignal, encodeStdin,
} from '../../web/src/common/webtty.js';

const bytes = (...b) => Uint8Array.from(b);

test('Resize, Signal and stdin Data have the documented layouts', () => {
  assert.deepEqual(encodeResize(120, 40), bytes(1, 5, 0, 0, 0, 4, 0, 120, 0, 40));
  assert.deepEqual(encodeSignal(2), bytes(1, 6, 0, 0, 0, 4, 0, 0, 0, 2));
  assert.deepEqual(encodeStdin('hi'), bytes(1, 4, 0, 0, 0, 4, 0, 0, 104, 105));
  assert.deepEqual(encodeStdin(new Uint8Array(0), true), bytes(1, 4, 0, 0, 0, 2, 0, 1));
  assert.throws(() => encodeResize(0, 10), RangeError);
  assert.throws(() => encodeResize(4097, 10), RangeError);
  assert.throws(() => encodeSignal(65), RangeError);
});

test('Open asks for an interactive PTY; an empty argv means the login shell', () => {
  const frame = encodeOpen({ cols: 100, rows: 30, env: { TERM: 'xterm-256color' } });
  assert.equal(frame[0], 1);
  assert.equal(frame[1], FrameType.Open);
  const length = new DataView(frame.buffer).getUint32(2);
  assert.equal(length, frame.length - 6);
  const body = JSON.parse(new TextDecoder().decode(frame.subarray(6)));
  assert.deepEqual(body.argv, []);
  assert.equal(body.login_shell, true);
  assert.equal(body.tty, true);
  assert.equal(body.interactive, true);
  assert.equal(body.cols, 100);
  assert.equal(body.rows, 30);
  const command = JSON.parse(new TextDecoder().decode(encodeOpen({ argv: ['ls'] }).subarray(6)));
  assert.equal(command.login_shell, false);
});

test('server frames decode', () => {
  const ack = decodeFrame(encodeFrame(FrameType.Ack, new TextEncoder().encode('{"pid":42}')));
  assert.deepEqual(ack, { type: FrameType.Ack, pid: 42 });
  const data = decodeFrame(bytes(1, 4, 0, 0, 0, 4, 1, 0, 111, 107));
  assert.equal(data.stream, 1);
  assert.equal(data.endOfStream, false);
  assert.deepEqual(data.bytes, bytes(111, 107));
  const close = decodeFrame(bytes(1, 7, 0, 0, 0, 8, 0, 0, 0, 137, 0, 0, 0, 9));
  assert.deepEqual(close, { type: FrameType.Close, exitCode: 137, signal: 9 });
  const error = decodeFrame(encodeFrame(FrameType.Error, new TextEncoder().encode('{"code":"x","message":"y"}')));
  assert.equal(error.code, 'x');
});

test('broken frames fail with the protocol error codes', () => {
  const code = (message) => {
    try {
      decodeFrame(message);
    } catch (e) {
      assert.ok(e instanceof FrameError);
      return e.code;
    }
    return 'decoded';
  };
  assert.equal(code(bytes(2, 4, 0, 0, 0, 0)), 'bad_version');
  assert.equal(code(bytes(1, 99, 0, 0, 0, 0)), 'unknown_type');
  assert.equal(code(bytes(1, 4, 0, 0)), 'truncated');
  assert.equal(code(bytes(1, 4, 0, 0, 0, 9, 1, 0)), 'truncated');
  assert.equal(code(bytes(1, 8, 0, 0, 0, 0, 7)), 'trailing_bytes');
  assert.equal(code(bytes(1, 4, 0, 0, 0, 2, 3, 0)), 'malformed');
  assert.equal(code(bytes(1, 4, 0, 0, 0, 2, 1, 2)), 'malformed');
  assert.equal(code(bytes(1, 7, 0, 0, 0, 4, 0, 0, 0, 0)), 'malformed');
  assert.equal(code(bytes(1, 7, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 65)), 'malformed');
  assert.equal(code(encodeFrame(FrameType.Ack, bytes(0xff))), 'malformed');
  assert.equal(code(encodeFrame(FrameType.Resize, bytes(0, 1, 0, 1))), 'malformed');
});
