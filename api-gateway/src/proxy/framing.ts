import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * The framing rules of the gateway's proxy. A proxy that lets a client decide how the upstream
 * finds the end of a request lets that client desynchronise a pooled keep-alive connection: the
 * bytes it sends as a body are parsed upstream as the next request, and that request's answer goes
 * to whichever client uses the connection next. So the gateway frames every upstream request
 * itself, from what Node's parser framed on the way in, and never from the client's choice of
 * headers.
 */

/** Hop-by-hop headers (RFC 9110 7.6.1), never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'upgrade', 'host']);

/** Set by the gateway itself for each hop: never copied from one message to the next. */
const FRAMING = new Set(['content-length', 'transfer-encoding']);

/**
 * Headers a `Connection` header may not name. Naming a framing header asks the proxy to unframe the
 * body; naming Host or Authorization asks it to forward a request other than the one it routed and
 * verified. No honest client does either, so such a request is refused rather than guessed at.
 */
const NOT_NOMINABLE = new Set([...FRAMING, 'host', 'authorization']);

/** Methods whose requests carry no meaningful body here; a body on one is refused. */
const BODILESS = new Set(['GET', 'HEAD']);

function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  return new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter(Boolean),
  );
}

export type Framing = { body: 'none' } | { body: 'length'; length: string } | { body: 'chunked' };

/** Why a request cannot be forwarded as it is, or undefined when it can. */
export function refusal(method: string, headers: IncomingHttpHeaders): string | undefined {
  for (const token of connectionTokens(headers)) {
    if (NOT_NOMINABLE.has(token)) return `The Connection header may not name ${token}`;
  }
  const framing = requestFraming(headers);
  if (BODILESS.has(method) && (framing.body === 'chunked' || (framing.body === 'length' && framing.length !== '0'))) {
    return `A ${method} request may not carry a body`;
  }
  return undefined;
}

/**
 * How the incoming request was framed. Node's parser already refused a request with both headers,
 * with a malformed or repeated Content-Length, and any Transfer-Encoding other than chunked last.
 */
export function requestFraming(headers: IncomingHttpHeaders): Framing {
  if (headers['transfer-encoding'] !== undefined) return { body: 'chunked' };
  const length = headers['content-length'];
  if (length !== undefined) return { body: 'length', length };
  return { body: 'none' };
}

/** End-to-end headers only: without hop-by-hop headers, what `Connection` names, and framing. */
export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = connectionTokens(headers);
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || FRAMING.has(name) || named.has(name)) continue;
    result[name] = value;
  }
  return result;
}

/**
 * An upstream answer's headers for the client. Its Content-Length is kept (it may answer a HEAD,
 * where no body says how long it is); for a chunked or close-delimited body Node frames the answer
 * to the client itself.
 */
export function responseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const result = endToEndHeaders(headers);
  const framing = requestFraming(headers);
  if (framing.body === 'length') result['content-length'] = framing.length;
  return result;
}

/** The framing headers the gateway sets for the next hop, from the framing it parsed. */
export function framingHeaders(framing: Framing): OutgoingHttpHeaders {
  switch (framing.body) {
    case 'none':
      return {};
    case 'length':
      return { 'content-length': framing.length };
    case 'chunked':
      return { 'transfer-encoding': 'chunked' };
  }
}
