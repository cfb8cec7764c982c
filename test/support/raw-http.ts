import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `head` (and `body`) as written over a plain socket, for request lines
 * and bodies that fetch would refuse or normalise, and reads the answer until
 * the server closes the connection.
 */
export function rawRequest(baseUrl: string, head: string, body: Buffer | string = ''): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [headText = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = headText.split('\r\n');
      const headers = Object.fromEntries(
        headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, body: rest.join('\r\n\r\n') });
    });
    // Not ended: a half-closed socket is closed by the server before it answers; `Connection: close` ends it instead.
    socket.write(Buffer.concat([Buffer.from(head), Buffer.from(body)]));
  });
}

/** The JSON body of a response, or of its one chunk when it was sent chunked. */
export function jsonBody(response: RawResponse): unknown {
  const body = response.headers['transfer-encoding'] === 'chunked' ? response.body.split('\r\n')[1] ?? '' : response.body;
  return JSON.parse(body);
}
