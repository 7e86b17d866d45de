import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCode, problem } from '../errors';

/**
 * Node answers a request it cannot parse (bad request line, header too large) itself, before any
 * Express or Nest code runs, with a bare `400 Bad Request` and no body. This answers it as
 * problem+json instead, with the statuses Node would have used.
 */
export function answerClientErrorsAsProblems(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A reset connection has no one left to answer; a half-sent response cannot take another.
    if (error.code === 'ECONNRESET' || !socket.writable || (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, reason, code, detail] = clientErrorAnswer(error.code);
    const body = JSON.stringify(problem(status, code, detail));
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

type Answer = [status: number, reason: string, code: string, detail: string];

const answers: Record<string, Answer> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', ErrorCode.REQUEST_HEADERS_TOO_LARGE, 'The request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', ErrorCode.REQUEST_TIMEOUT, 'The request was not received in time'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Payload Too Large', ErrorCode.REQUEST_TOO_LARGE, 'The request chunk extensions are too large'],
};
const malformed: Answer = [400, 'Bad Request', ErrorCode.REQUEST_MALFORMED, 'The request is not valid HTTP'];

function clientErrorAnswer(code: string | undefined): Answer {
  return (code !== undefined ? answers[code] : undefined) ?? malformed;
}
