// WebTTY frame codec (docs/protocol.md, version 1) for the browser, which is always the client:
// it sends Open, Data(stdin), Resize, Signal and reads Ack, Error, Data(stdout/stderr), Close,
// Heartbeat. One frame = one binary WebSocket message. Sans-I/O: bytes in, objects out.

export const VERSION = 1;
export const HEADER_BYTES = 6;
export const MAX_DIMENSION = 4096;

export const FrameType = Object.freeze({
  Open: 1,
  Ack: 2,
  Error: 3,
  Data: 4,
  Resize: 5,
  Signal: 6,
  Close: 7,
  Heartbeat: 8,
  E2eHandshake: 9,
  Sealed: 10,
});

export const Stream = Object.freeze({ stdin: 0, stdout: 1, stderr: 2 });
const END_OF_STREAM = 1;

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** A decode failure, with the protocol's error code (bad_version, unknown_type, ...). */
export class FrameError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function knownType(type) {
  return (type >= 1 && type <= 10) || (type >= 16 && type <= 22);
}

/** One frame: header + payload (Uint8Array). */
export function encodeFrame(type, payload = new Uint8Array(0)) {
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, VERSION);
  view.setUint8(1, type);
  view.setUint32(2, payload.length, false);
  out.set(payload, HEADER_BYTES);
  return out;
}

function clampDimension(n, what) {
  if (!Number.isInteger(n) || n < 1 || n > MAX_DIMENSION) {
    throw new RangeError(`${what} ${n} out of range 1..${MAX_DIMENSION}`);
  }
  return n;
}

/**
 * Open: what to run. `options`: {argv, loginShell, env, workdir, cols, rows, heartbeatMs}.
 * The browser always asks for an interactive PTY.
 */
export function encodeOpen(options = {}) {
  const argv = options.argv ?? [];
  const body = {
    argv,
    cols: clampDimension(options.cols ?? 80, 'cols'),
    env: options.env ?? {},
    heartbeat_ms: options.heartbeatMs ?? 0,
    interactive: true,
    login_shell: argv.length === 0,
    rows: clampDimension(options.rows ?? 24, 'rows'),
    token: '',
    tty: true,
    workdir: options.workdir ?? '',
  };
  return encodeFrame(FrameType.Open, encoder.encode(JSON.stringify(body)));
}

/** Data on stdin: bytes (Uint8Array) or a string (sent as UTF-8). */
export function encodeStdin(data, endOfStream = false) {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  const payload = new Uint8Array(2 + bytes.length);
  payload[0] = Stream.stdin;
  payload[1] = endOfStream ? END_OF_STREAM : 0;
  payload.set(bytes, 2);
  return encodeFrame(FrameType.Data, payload);
}

export function encodeResize(cols, rows) {
  const payload = new Uint8Array(4);
  const view = new DataView(payload.buffer);
  view.setUint16(0, clampDimension(cols, 'cols'), false);
  view.setUint16(2, clampDimension(rows, 'rows'), false);
  return encodeFrame(FrameType.Resize, payload);
}

export function encodeSignal(signal) {
  if (!Number.isInteger(signal) || signal < 1 || signal > 64) {
    throw new RangeError(`signal ${signal} out of range 1..64`);
  }
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setInt32(0, signal, false);
  return encodeFrame(FrameType.Signal, payload);
}

export function encodeHeartbeat() {
  return encodeFrame(FrameType.Heartbeat);
}

function parseJson(payload, what) {
  let value;
  try {
    value = JSON.parse(strictDecoder.decode(payload));
  } catch (e) {
    throw new FrameError('malformed', `${what}: invalid JSON (${e.message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new FrameError('malformed', `${what}: expected a JSON object`);
  }
  return value;
}

/**
 * Decodes one WebSocket message (ArrayBuffer or Uint8Array) holding exactly one frame.
 * Returns {type, ...fields}; throws FrameError.
 */
export function decodeFrame(message) {
  const bytes = message instanceof Uint8Array ? message : new Uint8Array(message);
  if (bytes.length >= 1 && bytes[0] !== VERSION) {
    throw new FrameError('bad_version', `unsupported protocol version ${bytes[0]}`);
  }
  if (bytes.length >= 2 && !knownType(bytes[1])) {
    throw new FrameError('unknown_type', `unknown frame type ${bytes[1]}`);
  }
  if (bytes.length < HEADER_BYTES) {
    throw new FrameError('truncated', `message of ${bytes.length} bytes is shorter than a frame header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = bytes[1];
  const length = view.getUint32(2, false);
  if (bytes.length < HEADER_BYTES + length) {
    throw new FrameError('truncated', `frame says ${length} payload bytes, message has ${bytes.length - HEADER_BYTES}`);
  }
  if (bytes.length > HEADER_BYTES + length) {
    throw new FrameError('trailing_bytes', `message has ${bytes.length - HEADER_BYTES - length} bytes after its frame`);
  }
  const payload = bytes.subarray(HEADER_BYTES);
  const pview = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  switch (type) {
    case FrameType.Ack: {
      const body = parseJson(payload, 'Ack');
      if (!Number.isInteger(body.pid)) throw new FrameError('malformed', 'Ack: pid is not an integer');
      return { type, pid: body.pid };
    }
    case FrameType.Error: {
      const body = parseJson(payload, 'Error');
      if (typeof body.code !== 'string' || typeof body.message !== 'string') {
        throw new FrameError('malformed', 'Error: code and message must be strings');
      }
      return { type, code: body.code, message: body.message };
    }
    case FrameType.Data: {
      if (payload.length < 2) throw new FrameError('malformed', 'Data payload shorter than 2 bytes');
      const stream = payload[0];
      const flags = payload[1];
      if (stream > 2) throw new FrameError('malformed', `Data stream ${stream} is not 0, 1 or 2`);
      if (flags & ~END_OF_STREAM) throw new FrameError('malformed', `Data flags ${flags} has unknown bits`);
      return { type, stream, endOfStream: (flags & END_OF_STREAM) !== 0, bytes: payload.subarray(2) };
    }
    case FrameType.Close: {
      if (payload.length !== 8) throw new FrameError('malformed', `Close payload is ${payload.length} bytes, not 8`);
      const signal = pview.getInt32(4, false);
      if (signal < 0 || signal > 64) throw new FrameError('malformed', `Close signal ${signal} out of range 0..64`);
      return { type, exitCode: pview.getInt32(0, false), signal };
    }
    case FrameType.Heartbeat:
      if (payload.length !== 0) throw new FrameError('malformed', 'Heartbeat with a payload');
      return { type };
    case FrameType.E2eHandshake:
    case FrameType.Sealed:
      return { type, bytes: payload };
    default:
      // Open, Resize, Signal and the tunnel frames never come to a client.
      throw new FrameError('malformed', `frame type ${type} is not sent to clients`);
  }
}
